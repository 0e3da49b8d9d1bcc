"""The typed, frozen results the assistant returns: passages, citations, answers and stream events."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Passage(_Frozen):
    """A chunk of a source document. ``start``/``end`` are character offsets in the document's extracted text."""

    id: str
    text: str
    source: str
    title: str = ""
    start: int
    end: int
    chunk_index: int = 0
    doc_hash: str = ""
    page: int | None = Field(None, description="1-based page the passage is on (PDFs); None for other documents.")
    page_label: str | None = Field(None, description="The page's number as printed on it (its PDF page label: "
                                   "'45', 'iv'), when it has one other than ``page``.")
    score: float = Field(0.0, description="Cosine similarity to the query, in [-1, 1]; higher is closer.")


class Citation(_Frozen):
    """A verified citation: passage ``passage_id`` supports the sentence marked ``[marker]``.

    ``start``/``end`` locate ``quote``, the supporting span, in the source document's extracted text.
    """

    marker: int
    passage_id: str
    source: str
    start: int
    end: int
    quote: str
    page: int | None = Field(None, description="1-based page of the quote (PDFs); None for other documents.")
    page_label: str | None = Field(None, description="The page's number as printed on it, when it has one other "
                                   "than ``page``.")


class RemovedSentence(_Frozen):
    text: str
    reason: str
    flagged: bool = Field(False, description="True when kept in the answer (flag mode) instead of removed.")


class Timings(_Frozen):
    retrieve: float = 0.0
    generate: float = 0.0
    verify: float = 0.0
    total: float = 0.0
    first_token: float | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0


class Answer(_Frozen):
    question: str
    text: str
    refused: bool
    citations: list[Citation] = []
    passages: list[Passage] = []
    query: str
    removed: list[RemovedSentence] = []
    timings: Timings = Timings()
    model: str = ""
    mode: str = Field("", description="How the answer was made: generated, extractive, or refused.")
    refusal_reason: str = ""
    grounding_score: float | None = Field(
        None, description="The gate's calibrated probability that the passages answer the question (refused below "
        "its fitted threshold).")
    dropped_passages: int = Field(0, description="Passages left out to fit the model's context window.")
    translated_from: str = Field(
        "", description="The language (ISO 639-1) the question was asked in, when it was translated into the "
        "documents' by Apertium before the search: `query` is the translation, `question` as asked.")
    changed_sources: list[str] = Field(
        [], description="Cited files that changed since they were indexed: their quotes come from the indexed text, "
        "and their offsets may no longer point at it in the file (`assistant ingest` again). A file not found here "
        "is not listed (an index built on another machine).")


class IndexedDocument(_Frozen):
    """A document in the index: its path (as citations name it), title, number of passages and content hash (the
    SHA-256 of the file's bytes when it was indexed)."""

    source: str
    title: str = ""
    passages: int = 0
    hash: str = ""


def same_content(documents: Sequence[IndexedDocument]) -> dict[str, str]:
    """For each document whose content an earlier one in the list has (the same file under two paths, indexed
    once): its source -> that earlier document's source."""
    first: dict[str, str] = {}
    twins = {}
    for d in documents:
        if d.hash and d.hash in first:
            twins[d.source] = first[d.hash]
        else:
            first.setdefault(d.hash or d.source, d.source)
    return twins


class TextDelta(_Frozen):
    """Part of the answer text, streamed. Only verified sentences are streamed."""

    text: str


StreamEvent = TextDelta | Answer


# What a question asked while documents are being indexed (``manifest.ingest_running``) is told.
INGEST_WAIT = "Documents are being indexed now: the answer waits for the model server to embed them first."


def page_name(page: int | None, label: str | None = None) -> str | None:
    """How a page is named to the reader ("p. 45 (PDF p. 51)", "p. 3"): the number printed on it (its PDF page label)
    when it has one other than its number in the file, and then that one too; None without a page."""
    if page is None:
        return None
    return f"p. {label} (PDF p. {page})" if label else f"p. {page}"


def translated_note(answer: Answer) -> str:
    """What is said after "searched" of a translated question's query (" (translated from es by Apertium)"), or ""."""
    return f" (translated from {answer.translated_from} by Apertium)" if answer.translated_from else ""
