"""The pipelines ``assistant eval --compare`` puts beside this project's, each returning the same :class:`Answer`.

- ``grounded``: this project's :class:`~assistant.assistant.Assistant`.
- ``bare``: the chat model alone, the question as the only message; no retrieval reaches the model. The passages
  retrieval finds for the question are attached to the Answer (not shown to the model) so that "numbers and names
  not in the sources" is judged against the same text as for the other pipelines.
- ``citation-engine``: LlamaIndex's ``CitationQueryEngine`` over the same Chroma collection, with the same embedder
  and the same Ollama chat LLM (``num_predict`` capped by ``ollama.max_answer_tokens``, so it cannot loop). Its
  ``[n]`` markers are mapped to its source nodes: each becomes a Citation quoting the whole node text.
- ``extractive``: the retrieved passages' sentence most similar to the question by embedding cosine, quoted and
  cited, or a refusal when even that sentence scores below ``EXTRACTIVE_MIN_SIMILARITY``.

A generated baseline *declines* when its first sentence says it does not know or that the sources do not say
(:func:`declines`, general English); the project's own pipelines report refusals themselves.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from assistant.embeddings import Embedder
from assistant.results import Answer, Citation, Passage, Timings
from assistant.store import page_fields
from assistant.text import sentence_spans, split_sentences, strip_markers

if TYPE_CHECKING:
    from llama_index.core.llms import LLM
    from llama_index.core.schema import NodeWithScore

    from assistant.assistant import Assistant
    from assistant.retrieval import Retriever
    from assistant.store import ChunkStore

# The figure the first comparison used; a sentence below it is too far from the question to quote.
# Settable per run (``assistant eval --compare extractive:0.4``); not re-fitted on any eval set.
EXTRACTIVE_MIN_SIMILARITY = 0.35
ERROR_TEXT = "error: the pipeline failed."  # lower case, no numbers: scored as an answer, wrong, uncited
_DECLINE = re.compile(
    r"\b(i (do not|don't|cannot|can't|am unable to|am not able to) (know|answer|find|say|tell|determine|provide)"
    r"|i'm (not sure|unable to)|there is no (information|mention)|no information (is )?(given|provided|available)"
    r"|(the )?(sources?|context|passages?|documents?|texts?|information)( provided| given)? (does|do) not "
    r"(contain|mention|provide|say|state|specify|include)|not (mentioned|provided|stated|specified) in)\b", re.I)


class Pipeline(Protocol):
    """One row of a comparison: a name and a question → Answer function.

    Optional: ``uses_history = False`` when ``ask`` ignores the conversation (the run then does not ask a
    follow-up's earlier turns), and ``order(questions)``, the order to ask them in (indexes into the list)."""

    name: str

    def ask(self, question: str, history: Sequence[dict[str, Any]] | None = None) -> Answer: ...


def declines(text: str) -> bool:
    """Does a generated answer decline: its first sentence says it does not know, or that the sources do not say."""
    sentences = split_sentences(text)
    return not sentences or bool(_DECLINE.search(strip_markers(sentences[0])[0].replace("’", "'")))


def error_answer(question: str, model: str, elapsed: float) -> Answer:
    """What a pipeline that raised is scored as: an answer (not a refusal) that states nothing and cites nothing."""
    return Answer(question=question, text=ERROR_TEXT, refused=False, query=question, model=model, mode="error",
                  timings=Timings(total=elapsed))


class GroundedPipeline:
    def __init__(self, assistant: Assistant, name: str = "grounded") -> None:
        self.assistant = assistant
        self.name = name

    def ask(self, question: str, history: Sequence[dict[str, Any]] | None = None) -> Answer:
        return self.assistant.ask(question, history)


class BarePipeline:
    def __init__(self, llm: LLM, retriever: Retriever, model: str, name: str = "bare") -> None:
        self.llm = llm
        self.retriever = retriever
        self.model = model
        self.name = name

    def ask(self, question: str, history: Sequence[dict[str, Any]] | None = None) -> Answer:
        from llama_index.core.base.llms.types import ChatMessage, MessageRole

        from assistant.embeddings import ollama_error

        messages = [ChatMessage(role=MessageRole(m["role"]), content=str(m["content"])) for m in history or []]
        messages.append(ChatMessage(role=MessageRole.USER, content=question))
        started = time.perf_counter()
        try:
            reply = self.llm.chat(messages)
        except Exception as e:
            raise ollama_error(e, str(getattr(self.llm, "base_url", "?")), self.model) from e
        generate = time.perf_counter() - started
        text = (reply.message.content or "").strip()
        usage = (reply.raw or {}).get("usage") or {} if isinstance(reply.raw, dict) else {}
        passages = self.retriever.retrieve(question)  # for scoring only, after the timed call
        return Answer(question=question, text=text, refused=declines(text), passages=passages, query=question,
                      model=self.model, mode="bare",
                      timings=Timings(generate=generate, total=generate,
                                      prompt_tokens=int(usage.get("prompt_tokens") or 0),
                                      completion_tokens=int(usage.get("completion_tokens") or 0)))


class CitationEnginePipeline:
    """LlamaIndex's CitationQueryEngine, as its documentation sets it up, over our collection and models."""

    uses_history = False  # the engine is asked the question alone

    def __init__(self, llm: LLM, embedder: Embedder, store: ChunkStore, top_k: int, model: str,
                 name: str = "citation-engine") -> None:
        from llama_index.core import VectorStoreIndex
        from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
        from llama_index.core.query_engine import CitationQueryEngine
        from llama_index.vector_stores.chroma import ChromaVectorStore

        index = VectorStoreIndex.from_vector_store(ChromaVectorStore(chroma_collection=store.collection),
                                                   embed_model=embedder.model)
        # Citation chunks larger than our passages: one source per retrieved passage, so its offsets still hold.
        self.engine = CitationQueryEngine.from_args(index, llm=llm, similarity_top_k=top_k, citation_chunk_size=2048,
                                                    node_postprocessors=[_bookkeeping_hidden()])
        # After from_args, which hands the LLM the default callback manager. Counts come from Ollama's reply; the
        # whitespace tokenizer is only a fallback and downloads nothing.
        self._tokens = TokenCountingHandler(tokenizer=str.split)
        llm.callback_manager = CallbackManager([self._tokens])
        self.model = model
        self.name = name

    def order(self, questions: Sequence[str]) -> list[int]:
        """The questions grouped by the passages retrieved for them, in retrieval order. The prompt lists the
        retrieved passages after fixed instructions and before the question, so a question asked after one that
        retrieved the same first passages shares that much of its prompt, which Ollama keeps evaluated from the
        request before: only the rest is evaluated again. The answers are the engine's either way."""
        from llama_index.core import QueryBundle

        keys = [tuple(n.node.node_id for n in self.engine.retrieve(QueryBundle(q))) for q in questions]
        return sorted(range(len(questions)), key=lambda i: keys[i])

    def ask(self, question: str, history: Sequence[dict[str, Any]] | None = None) -> Answer:
        self._tokens.reset_counts()
        started = time.perf_counter()
        response = self.engine.query(question)
        elapsed = time.perf_counter() - started
        text = str(getattr(response, "response", "") or "").strip()  # a plain Response: streaming is off
        passages = [source_passage(n) for n in response.source_nodes]
        return Answer(question=question, text=text, refused=declines(text), citations=marker_citations(text, passages),
                      passages=passages,
                      query=question, model=self.model, mode="citation-engine",
                      timings=Timings(generate=elapsed, total=elapsed,
                                      prompt_tokens=self._tokens.prompt_llm_token_count,
                                      completion_tokens=self._tokens.completion_llm_token_count))


# What the engine's model sees of a passage besides its text, as a LlamaIndex reader gives it a file's name and title;
# the rest of our metadata (offsets, hashes, generation) is the index's bookkeeping.
SHOWN_METADATA = ("source", "title")


def _bookkeeping_hidden() -> Any:
    """A node postprocessor that hides our index's bookkeeping metadata from the engine's model and lists the rest in
    one order. Left as Chroma returns it, the model read four passages' hashes and offsets (a third of the prompt), in
    an order that changed from call to call, so no two prompts shared more than their instructions and Ollama's
    prompt cache never served one."""
    from llama_index.core.postprocessor.types import BaseNodePostprocessor

    class BookkeepingHidden(BaseNodePostprocessor):
        def _postprocess_nodes(self, nodes: list[NodeWithScore], query_bundle: Any = None) -> list[NodeWithScore]:
            for n in nodes:
                meta = n.node.metadata
                n.node.metadata = {k: meta[k] for k in sorted(meta)}
                n.node.excluded_llm_metadata_keys = sorted(set(meta) - set(SHOWN_METADATA))
            return nodes

    return BookkeepingHidden()


def marker_citations(text: str, sources: Sequence[Passage]) -> list[Citation]:
    """``[n]`` of the text -> the n-th source, quoted whole; a marker past the last source gets no citation."""
    used = sorted({m for s in split_sentences(text) for m in strip_markers(s)[1]})
    return [Citation(marker=m, passage_id=p.id, source=p.source, start=p.start, end=p.start + len(p.text),
                     quote=p.text, page=p.page, page_label=p.page_label)
            for m in used if 0 < m <= len(sources) and (p := sources[m - 1])]


def source_passage(node: NodeWithScore) -> Passage:
    """A CitationQueryEngine source node as a Passage: its "Source n:" header removed, scored as retrieval does."""
    meta: dict[str, Any] = node.node.metadata
    text = re.sub(r"^Source \d+:\n", "", node.node.get_content()).strip()
    start = int(meta.get("start", 0))
    return Passage(id=node.node.node_id, text=text, source=str(meta.get("source", "")),
                   title=str(meta.get("title", "")), start=start, end=start + len(text),
                   chunk_index=int(meta.get("chunk_index", 0)), doc_hash=str(meta.get("doc_hash", "")),
                   # LlamaIndex's Chroma store reports exp(-distance); undo it, as retrieval.py does.
                   score=1.0 + math.log(node.score) if node.score else 0.0, **page_fields(meta))


class ExtractivePipeline:
    uses_history = False  # it quotes a sentence for the question alone

    def __init__(self, retriever: Retriever, embedder: Embedder, min_similarity: float = EXTRACTIVE_MIN_SIMILARITY,
                 name: str = "extractive") -> None:
        self.retriever = retriever
        self.embedder = embedder
        self.min_similarity = min_similarity
        self.name = name
        self._vectors: dict[str, list[float]] = {}  # sentence text -> embedding; passages repeat across questions

    def ask(self, question: str, history: Sequence[dict[str, Any]] | None = None) -> Answer:
        started = time.perf_counter()
        quoted, similarity = self.quote(question)
        elapsed = Timings(total=time.perf_counter() - started)
        if similarity is None or similarity < self.min_similarity:
            reason = "no passage sentence" if similarity is None else f"best sentence similarity {similarity:.2f}"
            return quoted.model_copy(update={"text": "", "refused": True, "citations": [], "mode": "refused",
                                             "refusal_reason": f"{reason} < {self.min_similarity}",
                                             "timings": elapsed})
        return quoted.model_copy(update={"timings": elapsed})

    def quote(self, question: str) -> tuple[Answer, float | None]:
        """The best passage sentence quoted and cited, whatever its similarity, and that similarity (None: no
        sentence, the Answer is then a refusal)."""
        passages = self.retriever.retrieve(question)
        candidates = [(i, span) for i, p in enumerate(passages) for span in sentence_spans(p.text)
                      if span.text.strip()]
        new = sorted({s.text for _, s in candidates} - self._vectors.keys())
        self._vectors.update(zip(new, self.embedder.embed_passages(new), strict=True))
        q = self.embedder.embed_query(question)
        scored = [(cosine(q, self._vectors[s.text]), i, s) for i, s in candidates]
        base: dict[str, Any] = {"question": question, "query": question, "passages": passages,
                                "model": self.embedder.model_name}
        best = max(scored, key=lambda t: t[0], default=None)
        if best is None:
            return Answer(**base, text="", refused=True, mode="refused"), None
        similarity, i, span = best
        p = passages[i]
        citation = Citation(marker=1, passage_id=p.id, source=p.source, start=p.start + span.start,
                            end=p.start + span.end, quote=span.text, page=p.page, page_label=p.page_label)
        body = span.text.rstrip()
        text = f"{body[:-1]} [1]{body[-1]}" if body[-1] in ".!?" else f"{body} [1]."
        return Answer(**base, text=text, refused=False, citations=[citation], mode="extractive"), similarity


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    na, nb = math.sqrt(sum(x * x for x in a)), math.sqrt(sum(x * x for x in b))
    return sum(x * y for x, y in zip(a, b, strict=True)) / (na * nb) if na and nb else 0.0


def fit_min_similarity(points: Sequence[tuple[float, int, int]]) -> float:
    """The threshold that maximises the summed CRAG score over (similarity, CRAG if answered, CRAG if declined)
    points: halfway between the lowest similarity answered and the highest refused (ties: the higher threshold)."""
    xs = sorted(points, key=lambda p: p[0])
    # Threshold just above xs[k-1]: the k lowest are refused, the rest answered.
    totals = [sum(p[2] for p in xs[:k]) + sum(p[1] for p in xs[k:]) for k in range(len(xs) + 1)]
    k = max(range(len(totals)), key=lambda i: (totals[i], i))
    if k == 0:
        return xs[0][0] if xs else 0.0
    if k == len(xs):
        return xs[-1][0] + 0.01
    return (xs[k - 1][0] + xs[k][0]) / 2

