"""Does a passage span say what an answer sentence claims — with the same structure, not just the same words?

A bag-of-words check passes "Kishida will host President Kishida" against "President Biden is scheduled to host
Prime Minister Kishida": every word is there. Here a span supports a claim only when

* it holds most of the claim's content words and every number, date, name and code string of it;
* every multi-word name of the claim ("Prime Minister Kishida") appears, in order, inside one name of the span
  (a title stays with its name);
* names in different roles keep their order (who does what to whom), unless exactly one of claim and span is
  passive ("… by X");
* a number or date goes with the same words: when the span holds several, the claim's words next to it are nearest
  to that one in the span;
* negation, quantifiers ("all", "only", "never") and conditions ("if", "unless") are kept, not dropped or added;
* the claim is supported by *one* passage sentence — or, when it joins two clauses, each clause by one of two
  adjacent sentences (facts from different sentences are not merged into one claim).

Everything here is general English; paraphrase beyond light stemming is left to the embedding similarity check the
caller may add.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.text import (
    CONDITIONALS,
    MONTHS,
    NEGATORS,
    QUANTIFIERS,
    WEEKDAYS,
    Token,
    content_stems,
    is_function_word,
    is_number,
    looks_like_code,
    stem,
    stems_of,
    tokens,
)

_CODE = re.compile(r"(?<![\w/-])(?:--?[A-Za-z][\w-]*|[\w.~-]*/[\w./~-]+|[A-Za-z_]\w*(?:\.\w+)+(?:\(\))?|\w+_\w+"
                   r"|[A-Za-z_]\w*\(\))")
_CLAUSE = re.compile(r";\s+|,\s+(?:and|but|while|whereas)\s+|\s+(?:and|but)\s+(?=(?:it|they|he|she|this|the|a|an)\b)",
                     re.I)
_COORD = frozenset({"and", "or", "&", "nor"})


@dataclass(frozen=True)
class Claim:
    """A sentence broken into what the checks look at."""

    text: str
    toks: list[Token]
    stems: list[str]
    content: set[str]


def _claim(text: str) -> Claim:
    toks = tokens(text)
    return Claim(text, toks, [stem(t.text) for t in toks], content_stems(text))


def code_terms(text: str) -> set[str]:
    """Technical strings typed exactly: options, paths, dotted names, calls."""
    return {m.group().rstrip(".").lower() for m in _CODE.finditer(text) if not is_number(m.group().strip("."))}


def key_terms(text: str, question: bool = False) -> set[str]:
    """Numbers, dates, names and code strings: terms a supporting span must hold (stemmed; numbers verbatim).

    A capitalised first word may be a name or an ordinary word capitalised by grammar; without a lexicon the two
    look alike, so in a claim it counts (the span must hold it: strict on purpose), in a question it does not.
    """
    terms = set(code_terms(text))
    for t in tokens(text):
        low = t.low
        if is_number(t.text):
            terms.add(t.text.rstrip("%").replace(",", ""))
        elif low in MONTHS or low in WEEKDAYS:
            terms.add(low)
        elif t.text[:1].isupper() and not is_function_word(t.text) and _starts_word(text, t) and \
                not (question and _sentence_start(text, t)):
            terms.add(stem(t.text))
    return terms


def _starts_word(text: str, t: Token) -> bool:
    return t.start == 0 or not text[t.start - 1].isalnum()


def _sentence_start(text: str, t: Token) -> bool:
    before = text[:t.start].rstrip(" \"'“‘([")
    return not before or before[-1] in ".!?:\n"


def missing_terms(text: str, spans: list[str], question: bool = False) -> list[str]:
    """Key terms of ``text`` that none of ``spans`` holds."""
    have = stems_of(spans)
    lowered = " ".join(spans).lower()
    numbers = {w.rstrip("%").replace(",", "") for s in spans for w in (t.text for t in tokens(s)) if is_number(w)}
    out = []
    for term in sorted(key_terms(text, question)):
        if is_number(term) and not looks_like_code(term):
            if term not in numbers:
                out.append(term)
        elif term not in have and term not in lowered:
            out.append(term)
    return out


def _name_runs(text: str, toks: list[Token]) -> list[list[str]]:
    """Runs of adjacent capitalised words (only spaces between them) — a title with its name, a full name."""
    runs: list[list[str]] = []
    current: list[str] = []
    prev: Token | None = None
    for t in toks:
        capital = t.text[:1].isupper() and not is_function_word(t.text) and not is_number(t.text)
        joined = prev is not None and text[prev.end:t.start].strip() == "" and "\n" not in text[prev.end:t.start]
        if capital and current and joined:
            current.append(stem(t.text))
        else:
            if len(current) >= 2:
                runs.append(current)
            current = [stem(t.text)] if capital else []
        prev = t
    if len(current) >= 2:
        runs.append(current)
    return runs


def _subsequence(small: list[str], big: list[str]) -> bool:
    it = iter(big)
    return all(any(x == y for y in it) for x in small)


def _names_intact(claim: Claim, span: str, span_toks: list[Token]) -> str | None:
    span_runs = _name_runs(span, span_toks)
    for run in _name_runs(claim.text, claim.toks):
        if not any(_subsequence(run, big) for big in span_runs):
            shown = " ".join(t.text for t in claim.toks if stem(t.text) in run)
            return f"pairs words of a name or title ({shown}) the passage does not put together"
    return None


def _anchors(toks: list[Token], text: str) -> list[tuple[int, str]]:
    """(token index, stem) of the names in the text, in order: capitalised non-function words, code strings."""
    out = []
    for i, t in enumerate(toks):
        if is_number(t.text) or t.low in MONTHS or t.low in WEEKDAYS:
            continue
        if (t.text[:1].isupper() and not is_function_word(t.text)) or looks_like_code(t.text):
            out.append((i, stem(t.text)))
    return out


def _roles_kept(claim: Claim, span: str, span_toks: list[Token]) -> str | None:
    """Names separated by a relation ("A hosts B") must keep their order in the span (passive flips it)."""
    anchors = _anchors(claim.toks, claim.text)
    span_stems = [stem(t.text) for t in span_toks]
    for x in range(len(anchors)):
        for y in range(x + 1, len(anchors)):
            (i, a), (j, b) = anchors[x], anchors[y]
            if a == b:
                continue
            between = [t.low for t in claim.toks[i + 1:j]]
            relation = [w for w in between if not is_function_word(w) and w not in _COORD
                        and not claim.toks[i + 1 + between.index(w)].text[:1].isupper()]
            if not relation:
                continue  # "A and B", "A, B": coordination, order free
            claim_by = "by" in between
            pa = [k for k, s in enumerate(span_stems) if s == a]
            pb = [k for k, s in enumerate(span_stems) if s == b]
            if not pa or not pb:
                continue  # a missing name is reported by the key-term check
            ok = any((p < q) == (claim_by == ("by" in span_stems[min(p, q) + 1:max(p, q)]))
                     for p in pa for q in pb)
            if not ok:
                return f"swaps who does what ({claim.toks[i].text} … {claim.toks[j].text})"
    return None


def _numbers_attached(claim: Claim, span_toks: list[Token]) -> str | None:
    """With several numbers in the span, each number of the claim must sit nearest to the claim's words around it."""
    span_num = [k for k, t in enumerate(span_toks) if is_number(t.text)]
    if len({span_toks[k].text for k in span_num}) < 2:
        return None
    span_stems = [stem(t.text) for t in span_toks]
    content_idx = [k for k, t in enumerate(claim.toks) if not is_function_word(t.text) and not is_number(t.text)]
    for i, t in enumerate(claim.toks):
        if not is_number(t.text):
            continue
        near = [claim.stems[k] for k in content_idx if abs(k - i) <= 3]
        votes = []
        for w in near:
            for p in (k for k, s in enumerate(span_stems) if s == w):
                nearest = min(span_num, key=lambda k, p=p: abs(k - p))  # type: ignore[misc]
                votes.append(span_toks[nearest].text == t.text)
        if votes and not any(votes):
            return f"attaches {t.text} to words the passage attaches another number to"
    return None


def _governed(toks: list[Token], k: int) -> set[str]:
    return {stem(t.text) for t in toks[k + 1:k + 4] if not is_function_word(t.text)}


def _negators(toks: list[Token], text: str) -> list[int]:
    out = [k for k, t in enumerate(toks) if t.low in NEGATORS]
    out += [k for k, t in enumerate(toks) if t.low.endswith(("n't", "n’t"))]
    return out


def _polarity_kept(claim: Claim, span: str, span_toks: list[Token]) -> str | None:
    claim_neg = _negators(claim.toks, claim.text)
    span_neg = _negators(span_toks, span)
    for k in span_neg:
        if _governed(span_toks, k) & claim.content and not claim_neg:
            return "drops a negation the passage has"
    for k in claim_neg:
        if _governed(claim.toks, k) & stems_of([span]) and not span_neg:
            return "adds a negation the passage does not have"
    quantifiers = {t.low for t in claim.toks if t.low in QUANTIFIERS} - {t.low for t in span_toks}
    if quantifiers:
        return f"says {', '.join(sorted(quantifiers))}, which the passage does not"
    if any(t.low in CONDITIONALS for t in span_toks) and not any(t.low in CONDITIONALS for t in claim.toks):
        return "drops the condition the passage states"
    return None


def check_span(sentence: str, span: str, min_coverage: float = 0.7) -> str | None:
    """None when ``span`` supports ``sentence`` with the same structure; otherwise why it does not."""
    claim = _claim(sentence)
    if not claim.content and not key_terms(sentence):
        return "says nothing checkable"
    span_stems = stems_of([span])
    if claim.content and len(claim.content & span_stems) / len(claim.content) < min_coverage:
        return "the passage holds too few of its words"
    absent = missing_terms(sentence, [span])
    if absent:
        return f"mentions {', '.join(absent)}, which the passage does not"
    span_toks = tokens(span)
    for check in (_names_intact, _roles_kept):
        problem = check(claim, span, span_toks)
        if problem:
            return problem
    return _numbers_attached(claim, span_toks) or _polarity_kept(claim, span, span_toks)


def clauses(sentence: str) -> list[str]:
    """The independent clauses of a sentence ("A did x; B did y" → two), each with at least two content words."""
    parts = [p.strip(" ,;") for p in _CLAUSE.split(sentence) if p and p.strip(" ,;")]
    if len(parts) < 2 or any(len(content_stems(p)) < 2 for p in parts):
        return [sentence]
    return parts


def check_window(sentence: str, sentences: list[str], min_coverage: float = 0.7) -> tuple[int, int] | str:
    """The (first, last) sentence indices of the span supporting ``sentence``, or the reason none does.

    One sentence, or two adjacent ones when each clause of the claim is supported by one of them.
    """
    reasons: list[str] = []
    for a, s in enumerate(sentences):
        problem = check_span(sentence, s, min_coverage)
        if problem is None:
            return a, a
        reasons.append(problem)
    parts = clauses(sentence)
    if len(parts) > 1:
        for a in range(len(sentences) - 1):
            pair = sentences[a:a + 2]
            if all(any(check_span(p, s, min_coverage) is None for s in pair) for p in parts):
                return a, a + 1
    return _most_telling(reasons)


def _most_telling(reasons: list[str]) -> str:
    """The reason from the sentence that came closest (a structural reason beats "too few of its words")."""
    structural = [r for r in reasons if r != "the passage holds too few of its words" and not r.startswith("mentions")]
    if structural:
        return structural[0]
    fallback = reasons[0] if reasons else "no passage sentence says this"
    return next((r for r in reasons if r.startswith("mentions")), fallback)
