"""The Assistant: question (+ history) → retrieved passages → model proposal → verified, cited Answer.

    from assistant import Assistant
    a = Assistant.from_settings()
    print(a.ask("When will Kishida visit the U.S.?").text)

One Assistant is safe to share between threads: it keeps no per-question state.
"""

from __future__ import annotations

import asyncio
import re
import time
import unicodedata
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any, Protocol

from llama_index.core.llms import LLM

from assistant.citations import content_stems, key_terms, sentence_spans, strip_markers
from assistant.config import Settings, load_settings
from assistant.errors import AssistantError, InvalidQuestionError
from assistant.generation import Usage, build_llm, stream_reply
from assistant.grounding import (
    AnswerType,
    Evidence,
    Support,
    answer_type,
    best_evidence,
    has_answer_type,
    question_parts,
    refusal_reason,
    support_for,
)
from assistant.patterns import CONTROL_CHARS as _CONTROL
from assistant.prompts import Prompts
from assistant.results import Answer, Citation, Passage, RemovedSentence, StreamEvent, TextDelta, Timings

_FOLLOW_UP = re.compile(r"^(and|but|so|also|what about|how about)\b|\b(it|its|they|them|their|this|that|these|those|"
                        r"he|she|his|her)\b", re.I)
_META = re.compile(r"\b(passages?|the question|the answer|the text|the article|the documents?)\b", re.I)
MAX_SENTENCES = 3  # the small model pads answers with loosely related passage sentences
_CHARS_PER_TOKEN = 3.0  # conservative for English with SmolLM2's tokenizer: over-estimating keeps us in the window


class PassageRetriever(Protocol):
    def retrieve(self, query: str, k: int | None = None) -> list[Passage]: ...

    def count(self) -> int: ...


class Assistant:
    """Grounded answers over the indexed documents. Build with ``from_settings`` or inject the parts."""

    def __init__(self, retriever: PassageRetriever, llm: LLM, prompts: Prompts, settings: Settings) -> None:
        self.retriever = retriever
        self.llm = llm
        self.prompts = prompts
        self.settings = settings

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Assistant:
        from assistant.retrieval import Retriever

        settings = settings or load_settings()
        return cls(Retriever.from_settings(settings), build_llm(settings), Prompts.load(settings.prompts_dir), settings)

    # -- public API ------------------------------------------------------------------------------------------

    def ask(self, question: str, history: Sequence[dict[str, Any]] | None = None) -> Answer:
        for event in self.stream(question, history):
            if isinstance(event, Answer):
                return event
        raise AssertionError("stream() ended without an Answer")  # pragma: no cover

    async def aask(self, question: str, history: Sequence[dict[str, Any]] | None = None) -> Answer:
        return await asyncio.to_thread(self.ask, question, history)

    async def astream(self, question: str, history: Sequence[dict[str, Any]] | None = None
                      ) -> AsyncIterator[StreamEvent]:
        events = self.stream(question, history)
        done = object()
        while True:
            event = await asyncio.to_thread(next, events, done)
            if event is done:
                return
            yield event  # type: ignore[misc]

    def stream(self, question: str, history: Sequence[dict[str, Any]] | None = None) -> Iterator[StreamEvent]:
        """Verified text deltas, then the final Answer. Deltas concatenate to ``Answer.text``."""
        started = time.perf_counter()
        q = self.clean_question(question)
        query = self.condense(q, history or [])
        passages = self.retrieve(query)
        t_retrieve = time.perf_counter() - started
        base: dict[str, Any] = {"question": q, "query": query, "model": self.settings.ollama.chat_model}

        r = self.settings.retrieval
        reason = refusal_reason(q, passages, r.min_score, r.min_question_overlap)
        if reason:
            yield TextDelta(text=self.prompts.refusal)
            yield Answer(**base, text=self.prompts.refusal, refused=True, passages=passages, mode="refused",
                         refusal_reason=reason, timings=Timings(retrieve=t_retrieve,
                                                                total=time.perf_counter() - started))
            return

        kept, dropped = self.fit_passages(q, passages)
        run = _Run(self, q, query, kept)
        usage = Usage()
        gen_started = time.perf_counter()
        first_token: float | None = None
        buffer = ""
        prompt = self.prompts.render_answer(query, [p.text for p in kept])
        for delta in stream_reply(self.llm, self.prompts.system, prompt,
                                  usage):
            if first_token is None:
                first_token = time.perf_counter() - started
            buffer += delta
            spans = sentence_spans(buffer)
            # The last span may still be growing; every one before it is complete.
            for span in spans[:-1]:
                yield from run.add(span.text)
            buffer = buffer[spans[-1].start:] if spans else ""
        yield from run.add(buffer)
        generate = time.perf_counter() - gen_started - run.verify_s
        if not run.sentences:
            yield from run.extractive()
        elif self.settings.answer.add_best_evidence:
            yield from run.complete()

        yield Answer(
            **base, text=run.text, refused=False, citations=run.citations, passages=kept, removed=run.removed,
            mode=run.mode, dropped_passages=dropped,
            timings=Timings(retrieve=t_retrieve, generate=generate, verify=run.verify_s, first_token=first_token,
                            total=time.perf_counter() - started, prompt_tokens=usage.prompt_tokens,
                            completion_tokens=usage.completion_tokens),
        )

    def status(self) -> dict[str, Any]:
        """Server reachability, model names and index size, for status lines. Never raises."""
        from assistant.serving import probe

        o = self.settings.ollama
        info: dict[str, Any] = {"server": o.host, "chat_model": o.chat_model, "embed_model": o.embed_model,
                                "server_ok": False, "passages": 0, "problem": None}
        try:
            info["server_ok"] = probe(o.host) is not None
            if not info["server_ok"]:
                info["problem"] = f"Ollama is not reachable at {o.host} — run `assistant serve-model`."
            info["passages"] = self.retriever.count()
            if not info["passages"]:
                info["problem"] = info["problem"] or "The index is empty — run `assistant ingest`."
        except AssistantError as e:
            info["problem"] = str(e)
        return info

    # -- steps -----------------------------------------------------------------------------------------------

    def clean_question(self, question: str) -> str:
        if not isinstance(question, str):
            raise InvalidQuestionError("The question must be text.")
        q = _CONTROL.sub(" ", unicodedata.normalize("NFC", question))
        q = re.sub(r"\s+", " ", q).strip()
        if not q:
            raise InvalidQuestionError("The question is empty: type a question about your documents.")
        limit = self.settings.answer.max_question_chars
        if len(q) > limit:
            raise InvalidQuestionError(f"The question is {len(q)} characters long; the limit is {limit}. "
                                       "Ask something shorter (ASSISTANT_ANSWER__MAX_QUESTION_CHARS raises it).")
        return q

    @staticmethod
    def condense(question: str, history: Sequence[dict[str, Any]]) -> str:
        """A standalone search query: a follow-up borrows the subject of the previous question.

        Deterministic on purpose: the bundled model rewrites questions into new ones.
        """
        previous = [str(m.get("content", "")) for m in history if m.get("role") == "user" and m.get("content")]
        if not previous or not _FOLLOW_UP.search(question):
            return question
        topic = " ".join(sorted(content_stems(previous[-1]) - content_stems(question)))
        words = [w for w in re.findall(r"[\w’'.-]+", previous[-1]) if w.lower().strip(".?") and
                 any(w.lower().startswith(t[:4]) for t in topic.split())]
        core = re.sub(r"^(and|but|so|also)\s+", "", question, flags=re.I)
        return f"{core} ({' '.join(words)})" if words else core

    def retrieve(self, query: str) -> list[Passage]:
        """Passages for the query; a question asking two things is searched once per part, results merged."""
        k = self.settings.retrieval.top_k
        parts = question_parts(query)
        if len(parts) < 2:
            return self.retriever.retrieve(query, k)
        best: dict[str, Passage] = {}
        for part in parts:
            for p in self.retriever.retrieve(part, k):
                if p.id not in best or p.score > best[p.id].score:
                    best[p.id] = p
        return sorted(best.values(), key=lambda p: p.score, reverse=True)[: k + len(parts)]

    def fit_passages(self, question: str, passages: list[Passage]) -> tuple[list[Passage], int]:
        """Drop the weakest whole passages until the prompt fits the model's context window."""
        o = self.settings.ollama
        kept = list(passages)

        def tokens(ps: list[Passage]) -> float:
            prompt = self.prompts.system + self.prompts.render_answer(question, [p.text for p in ps])
            return len(prompt) / _CHARS_PER_TOKEN + o.max_answer_tokens + 32

        while len(kept) > 1 and tokens(kept) > o.num_ctx:
            kept.remove(min(kept, key=lambda p: p.score))
        return kept, len(passages) - len(kept)


class _Run:
    """The verification state of one answer while it streams."""

    def __init__(self, assistant: Assistant, question: str, query: str, passages: list[Passage]) -> None:
        self.a = assistant
        self.question = question
        self.query = query
        self.passages = passages
        self.kind = answer_type(question)
        self.sentences: list[str] = []
        self.removed: list[RemovedSentence] = []
        self.citations: list[Citation] = []
        self.text = ""
        self.mode = "generated"
        self.verify_s = 0.0
        self._seen: set[str] = set()

    def add(self, raw: str) -> Iterator[TextDelta]:
        t = time.perf_counter()
        try:
            sentence, cited = strip_markers(raw)
            if not sentence or sentence.lower() in self._seen:
                return
            self._seen.add(sentence.lower())
            support = support_for(sentence, self.passages, cited, self.a.settings.answer.min_coverage)
            problem = support.reason or self._off_topic(sentence)
            if problem:
                flag = self.a.settings.answer.unsupported == "flag"
                self.removed.append(RemovedSentence(text=sentence, reason=problem, flagged=flag))
                if flag:
                    yield self._emit(f"{sentence} (unverified)")
                return
            self.sentences.append(sentence)
            yield self._emit(self._cite(sentence, support))
        finally:
            self.verify_s += time.perf_counter() - t

    def _off_topic(self, sentence: str) -> str:
        if len(self.sentences) >= MAX_SENTENCES:
            return f"supported, but the answer already has {MAX_SENTENCES} sentences"
        if self.kind is not AnswerType.ANY and not has_answer_type(sentence, self.kind):
            return f"supported, but gives no {self.kind.value}, which the question asks for"
        asked = content_stems(self.query)
        said = content_stems(sentence)
        new_terms = key_terms(sentence) - key_terms(self.query) - asked
        if sentence.rstrip().endswith(":") or (said and not said - asked and not new_terms):
            return "only repeats the question or a heading"
        if _META.search(sentence):
            return "talks about the passages or the question, not the subject"
        short_list = len(said) <= 4 and new_terms and self.kind is not AnswerType.ANY
        if not short_list and len(said & asked) < max(1, 0.25 * len(asked)):
            return "supported, but does not address the question"
        return ""

    def extractive(self) -> Iterator[TextDelta]:
        """Nothing the model wrote survived: quote the passage sentences that best answer the question."""
        self.mode = "extractive"
        for ev in best_evidence(self.query, self.passages):
            yield from self._quote(ev)

    def complete(self) -> Iterator[TextDelta]:
        """Add the best-matching passage sentence when the model's kept sentences do not already cite it."""
        best = best_evidence(self.query, self.passages, limit=1)
        if not best or best[0].score <= 0:
            return
        ev = best[0]
        if any(c.start < ev.end and ev.start < c.end for c in self.citations):
            return
        self.mode = "generated+extractive"
        yield from self._quote(ev)

    def _quote(self, ev: Evidence) -> Iterator[TextDelta]:
        quote = ev.text.lstrip("-•* ").strip()
        offset = len(ev.text) - len(ev.text.lstrip("-•* "))
        ev = Evidence(ev.passage, ev.start + offset, ev.start + offset + len(quote), quote, ev.score)
        self.sentences.append(quote)
        yield self._emit(self._cite(quote, Support(quote, (ev,))))

    def _cite(self, sentence: str, support: Support) -> str:
        markers = []
        for ev in support.evidence:
            p = self.passages[ev.passage]
            existing = next((c for c in self.citations if (c.passage_id, c.start, c.end) == (p.id, ev.start, ev.end)),
                            None)
            if existing is None:
                existing = Citation(marker=len(self.citations) + 1, passage_id=p.id, source=p.source,
                                    start=ev.start, end=ev.end, quote=ev.text)
                self.citations.append(existing)
            markers.append(existing.marker)
        tags = "".join(f"[{m}]" for m in dict.fromkeys(markers))
        body, end = (sentence[:-1], sentence[-1]) if sentence[-1] in ".!?" else (sentence, ".")
        return f"{body} {tags}{end}"

    def _emit(self, sentence: str) -> TextDelta:
        piece = sentence if not self.text else f" {sentence}"
        self.text += piece
        return TextDelta(text=piece)
