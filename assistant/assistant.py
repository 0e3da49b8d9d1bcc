"""The Assistant: question (+ history) → retrieved passages → model proposal → verified, cited Answer.

    from assistant import Assistant
    a = Assistant.from_settings()
    print(a.ask("When will Kishida visit the U.S.?").text)

One Assistant is safe to share between threads: it keeps no per-question state.
"""

from __future__ import annotations

import asyncio
import functools
import re
import time
import unicodedata
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from llama_index.core.llms import LLM

from assistant import places, spelling
from assistant.calibration import Calibration
from assistant.chat_tokens import prompt_counter
from assistant.config import Settings, load_settings
from assistant.documents import FileHashes
from assistant.errors import AssistantError, InvalidQuestionError
from assistant.generation import Usage, build_llm, stream_reply
from assistant.grounding import Embed, Examination, Grounder, question_stems, rare_terms
from assistant.language import SAMPLE_CHARS, language, other_than
from assistant.lexicon import CorpusTerms, Lexicon, unheard_names, unknown_words
from assistant.patterns import CONTROL_CHARS as _CONTROL
from assistant.policy import AnswerRun, condense, prompt_windows, standalone_parts
from assistant.prompts import Prompts
from assistant.results import Answer, Citation, IndexedDocument, Passage, StreamEvent, TextDelta, Timings
from assistant.text import is_function_word, sentence_spans, stem, tokens
from assistant.translation import Apertium, Translator, without_code
from assistant.verify import code_terms

if TYPE_CHECKING:
    from pathlib import Path

    from assistant.ingest import IngestReport
    from assistant.retrieval import Retriever


class PassageRetriever(Protocol):
    def retrieve(self, query: str, k: int | None = None) -> list[Passage]: ...

    def count(self) -> int: ...

    def documents(self) -> list[IndexedDocument]: ...


def _telling(term: str) -> bool:
    """A code string that tells what it names: an operator, or one with a word of its own (not "and/or", not "-m",
    whose parts BM25 does not index on their own)."""
    parts = re.findall(r"[^\W_]+", term)
    return not parts or any(len(w) > 1 and not is_function_word(w) for w in parts)


# A name typed exactly as its owner writes it, with a capital after a lower-case letter ("MongoDB", "PostgreSQL",
# "iOS"): like a code string, no paraphrase stands for it. Not a word in capitals, which may be emphasis ("is it OK")
# or an acronym the documents spell out ("USA"), nor a plain capitalised word (a city may stand for its government).
_TYPED_NAME = re.compile(r"(?<![\w./-])[A-Za-z]*[a-z][A-Z][A-Za-z]*(?![\w/-]|\.\w)")


def typed_names(text: str) -> list[str]:
    """Names in ``text`` with a capital inside, not those within a code string ("x.getElementById")."""
    return list(dict.fromkeys(_TYPED_NAME.findall(text)))


def _held(term: str, texts: Sequence[str]) -> bool:
    """Does one of the (lower-cased) ``texts`` hold ``term`` as a word of its own?"""
    pattern = re.compile(rf"(?<!\w){re.escape(term.lower())}(?!\w)")
    return any(pattern.search(t) for t in texts)


class Assistant:
    """Grounded answers over the indexed documents. Build with ``from_settings`` or inject the parts."""

    def __init__(self, retriever: PassageRetriever, llm: LLM, prompts: Prompts, settings: Settings,
                 embed: Embed | None = None, calibration: Calibration | None = None,
                 translator: Translator | None = None, lexicon: Lexicon | None = None) -> None:
        self.retriever = retriever
        self.lexicon = lexicon  # None: no question is refused for naming a word neither English nor the documents know
        self.llm = llm
        self.prompts = prompts
        self.settings = settings
        self.translator = translator  # None: a question in another language than the documents is refused
        self.grounder = Grounder(calibration or Calibration.load(settings.answer.calibration), embed,
                                 settings.answer.min_coverage, translator)
        self.hashes = FileHashes()

    @classmethod
    def from_settings(cls, settings: Settings | None = None, retriever: Retriever | None = None) -> Assistant:
        """The assistant the settings describe; ``retriever`` shares one already open (``eval --compare``)."""
        from assistant.retrieval import Retriever

        settings = settings or load_settings()
        retriever = retriever or Retriever.from_settings(settings)
        translator = Apertium(settings.answer.translation_timeout_s) if settings.answer.translate_questions else None
        return cls(retriever, build_llm(settings), Prompts.load(settings.prompts_dir), settings,
                   embed=retriever.embedder.embed_passages, translator=translator,
                   lexicon=Lexicon.from_files(settings.answer.word_lists))

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
        asked = q
        q, query, passages, asked_in = self.search(q, history or [])
        t_retrieve = time.perf_counter() - started
        base: dict[str, Any] = {"question": asked if asked_in else q, "query": query,
                                "model": self.settings.ollama.chat_model, "translated_from": asked_in}

        exam = self.examine(query, passages, q, translated=bool(asked_in))
        if exam.refusal:
            yield TextDelta(text=self.prompts.refusal)
            yield Answer(**base, text=self.prompts.refusal, refused=True, passages=passages, mode="refused",
                         refusal_reason=exam.refusal, grounding_score=exam.score, timings=Timings(retrieve=t_retrieve,
                                                                      total=time.perf_counter() - started))
            return

        prompt, prompt_tokens, dropped = self.fit_prompt(query, exam, passages)
        run = AnswerRun(self.grounder, q, query, passages, exam, self.settings.answer.unsupported)
        if self.settings.answer.evidence_first and self.settings.answer.add_best_evidence:
            yield from run.lead()
        usage = Usage()
        gen_started = time.perf_counter()
        first_token: float | None = None
        buffer = ""
        reply = stream_reply(self.llm, self.prompts.system, prompt, usage)
        try:
            for delta in reply:
                if first_token is None:
                    first_token = time.perf_counter() - started
                buffer += delta
                spans = sentence_spans(buffer)
                # The last span may still be growing; every one before it is complete.
                for span in spans[:-1]:
                    yield from run.add(span.text)
                buffer = buffer[spans[-1].start:] if spans else ""
                if run.done and self.settings.answer.stop_when_done:
                    buffer = ""
                    break  # closing the stream below makes Ollama stop generating
        finally:
            reply.close()
        yield from run.add(buffer)
        generate = time.perf_counter() - gen_started - run.verify_s
        if not usage.prompt_tokens:  # stopped before Ollama's final counts: the prompt in the model's own tokens
            usage.prompt_tokens = prompt_tokens
        if not run.generated:
            yield from run.extractive()
        elif self.settings.answer.add_best_evidence:
            yield from run.complete()

        yield Answer(
            **base, text=run.text, refused=False, citations=run.citations, passages=passages, removed=run.removed,
            mode=run.mode, dropped_passages=dropped, grounding_score=exam.score,
            changed_sources=self._changed(run.citations, passages),
            timings=Timings(retrieve=t_retrieve, generate=generate, verify=run.verify_s, first_token=first_token,
                            total=time.perf_counter() - started, prompt_tokens=usage.prompt_tokens,
                            completion_tokens=usage.completion_tokens),
        )

    def _changed(self, citations: Sequence[Citation], passages: Sequence[Passage]) -> list[str]:
        """The cited documents whose file here changed since it was indexed (a passage without its document's
        hash: not known, not listed)."""
        by_id = {p.id: p for p in passages}
        cited = {by_id[c.passage_id].source: by_id[c.passage_id].doc_hash for c in citations
                 if c.passage_id in by_id and by_id[c.passage_id].doc_hash}
        return self.hashes.changed(cited)

    def search(self, question: str, history: Sequence[dict[str, Any]] = ()
               ) -> tuple[str, str, list[Passage], str]:
        """The question as read, its search query (a follow-up borrows from ``history``, see :func:`condense`), the
        passages found for it, and the language the question was asked in when it was translated ("" when not).

        A question, or the previous one a follow-up borrows from, in another language than the passages found is
        read in theirs when a translation between the two is installed; typos the passages' words correct are
        corrected, and a capital the corpus never writes is read as the country the passages name
        (:mod:`assistant.places`)."""
        query = self.condense(question, history)
        passages = self.retrieve(query)
        asked_in = ""
        read = self._read(question, history, passages)
        if read:
            question, history, asked_in = read
            searched, query = query, self.condense(question, history)
            if query != searched:  # the same when only the previous question was read and nothing is borrowed
                passages = self.retrieve(query)
        known_share = self._known_share()
        fixes = spelling.corrections(query, (p.text for p in passages),
                                     (lambda w: known_share(w) == 1.0) if known_share else None,
                                     self.lexicon.knows if self.lexicon is not None else None)
        read_query, read_question = spelling.apply(query, fixes), spelling.apply(question, fixes)
        if known_share:  # a capital the corpus never writes, for a country the passages name
            texts = [p.text for p in passages]

            def never_held(name: str) -> bool:
                return known_share(name) == 0.0

            spelt, read_query = read_query, places.read(read_query, texts, never_held)
            # a question asked without history is its own query: read once
            read_question = read_query if read_question == spelt else places.read(read_question, texts, never_held)
        if read_query == query:
            return read_question, query, passages, asked_in
        return read_question, read_query, self.retrieve(read_query), asked_in

    def _read(self, question: str, history: Sequence[dict[str, Any]], passages: Sequence[Passage]
              ) -> tuple[str, list[dict[str, Any]], str] | None:
        """The question and the history's last question, each read in the passages' language when it is in
        another and a translation between the two is installed, and the language the question was asked in ("" when
        only the previous question was translated); None when neither was."""
        if self.translator is None or not passages:
            return None
        written = language(" ".join(p.text for p in passages)[:SAMPLE_CHARS])
        among = self.translator.sources(written) if written else set()
        if not written or not among:
            return None
        translator = self.translator

        def read(text: str) -> tuple[str, str] | None:
            asked = other_than(without_code(text), written, among)
            translated = translator.translate(text, asked, written) if asked else None
            return (translated, asked) if translated and asked else None

        turns = [dict(m) for m in history]
        users = [m for m in turns if m.get("role") == "user" and m.get("content")]
        earlier = read(str(users[-1]["content"])) if users else None
        if earlier:
            users[-1]["content"] = earlier[0]
        now = read(question)
        if not now and not earlier:
            return None
        return (now[0], turns, now[1]) if now else (question, turns, "")

    def examine(self, query: str, passages: list[Passage], question: str | None = None, translated: bool = False
                ) -> Examination:
        """The gate's view of the passages for ``query`` (with how much of it the corpus knows, when measurable).
        A follow-up's ``query`` borrows words of the previous question (see :func:`condense`); a borrowed rare term (a
        name, number or code string) the passages lack but the corpus holds is the subject carried over, not something
        the new question asks about, and its other borrowed words the corpus holds need not all be found where the
        passages hold one of them.
        A word of the question neither English nor the corpus knows is something the corpus never mentions, unless
        the question was ``translated`` (a word the translation left as it was may be one of the question's
        language)."""
        known_share = self._known_share()
        if not known_share:
            return self.grounder.examine(query, passages)
        texts = [p.text.lower() for p in passages]
        unheard = [t for t in sorted(code_terms(query, with_digits=True))
                   if _telling(t) and known_share(t) == 0.0 and not any(t in text for text in texts)]
        unheard += [t for t in typed_names(query) if known_share(t) == 0.0 and not _held(t, texts)]
        # the question's own words: a follow-up's borrowed ones were asked about before
        if self.lexicon is not None and not translated and (terms := self._terms()) is not None:
            own = question if question is not None else query
            unheard += [w for w in [*unknown_words(own, self.lexicon, terms), *unheard_names(own, self.lexicon, terms)]
                        if not any(w == t.lower() for t in unheard)]
        borrowed = rare_terms(query) - rare_terms(question) if question is not None else set()
        # the other borrowed words the corpus holds (one it never holds, "climate summit", stays asked)
        carried: set[str] = set()
        if question is not None and (taken := question_stems(query) - question_stems(question)):
            carried = {stem(t.text) for t in tokens(query) if stem(t.text) in taken and known_share(t.text) == 1.0}
        return self.grounder.examine(query, passages, known_share(query), unheard,
                                     held={t for t in borrowed if known_share(t) == 1.0}, borrowed=carried)

    def _terms(self) -> CorpusTerms | None:
        """The retriever's terms of the corpus, when it has them (hybrid retrieval)."""
        terms = getattr(self.retriever, "terms", None)
        return terms() if terms else None

    def _known_share(self) -> Callable[[str], float | None] | None:
        """The retriever's share of a text's terms the corpus holds, when it can tell (hybrid retrieval)."""
        return getattr(self.retriever, "known_share", None)

    def documents(self) -> list[IndexedDocument]:
        """The documents questions are answered from, by path."""
        return self.retriever.documents()

    def add_documents(self, paths: Sequence[Path]) -> IngestReport:
        """Index files and folders where they are, as ``assistant ingest PATH...`` does (nothing is pruned); the next
        question sees them. A file that cannot be indexed is in ``report.failed`` with its reason and leaves the
        index as it was; Chroma or Ollama being unusable raises, as for a question."""
        from assistant.ingest import run_ingest

        return run_ingest(list(paths), self.settings, prune=False, console=None)

    def remove_documents(self, sources: Sequence[str]) -> IngestReport:
        """Drop documents from the index by the paths ``documents()`` names; their files are left alone."""
        from assistant.ingest import remove_documents

        return remove_documents(sources, self.settings)

    def ingesting(self) -> bool:
        """Whether documents are being added to or removed from the index now, here or by another process: a
        question waits for their embedding in the model server."""
        from assistant.manifest import ingest_running, manifest_path

        return ingest_running(manifest_path(self.settings))

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
                info["problem"] = info["problem"] or ("The index is empty — add documents: `assistant ingest PATH`, "
                                                      "or Documents in the chat.")
        except AssistantError as e:
            info["problem"] = str(e)
        return info

    @functools.cached_property
    def _count_tokens(self) -> Callable[[str], int]:
        """The chat model's tokenizer (its first use may convert the bundled one: not at construction)."""
        return prompt_counter(self.settings)

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
        """A standalone search query: a follow-up borrows the subject of the previous question."""
        return condense(question, history)

    def retrieve(self, query: str) -> list[Passage]:
        """Passages for the query; a question asking two things is searched once per part, results merged."""
        k = self.settings.retrieval.top_k
        parts = standalone_parts(query)
        if len(parts) < 2:
            return self.retriever.retrieve(query, k)
        best: dict[str, Passage] = {}
        for part in parts:
            for p in self.retriever.retrieve(part, k):
                if p.id not in best or p.score > best[p.id].score:
                    best[p.id] = p
        return sorted(best.values(), key=lambda p: p.score, reverse=True)[: k + len(parts)]

    def fit_prompt(self, question: str, exam: Examination, passages: list[Passage]) -> tuple[str, int, int]:
        """The user prompt, its passage windows shrunk until it fits the model's context window; its size with the
        system prompt in the model's tokens; and how many passages are not shown at all."""
        o = self.settings.ollama
        budget = self.settings.answer.prompt_chars
        while True:
            windows = prompt_windows(exam, passages, budget)
            prompt = self.prompts.render_answer(question, windows)
            tokens = self._count_tokens(self.prompts.system + prompt)
            if tokens + o.max_answer_tokens + 32 <= o.num_ctx or budget <= 200:
                return prompt, tokens, len(passages) - len(windows)
            budget //= 2
