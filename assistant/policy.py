"""The answer policy: what a question becomes before retrieval (follow-ups condensed), what the model is shown (the
best-matching sentences of the passages, numbered by passage), which of its sentences are kept while it streams, when
to stop it, and what is quoted when none of its sentences survives.

Pure logic over a :class:`~assistant.grounding.Grounder`: no model or network here, so it is unit-tested with
scripted text.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from itertools import pairwise
from typing import Any

from assistant.grounding import (
    UNCHECKED,
    AnswerType,
    Candidate,
    Evidence,
    Examination,
    Grounder,
    Support,
    answer_type,
    asks_yes_or_no,
    has_answer_type,
    question_parts,
    question_stems,
    refers_back,
    states_consequence,
)
from assistant.patterns import CLOSES as _CLOSES
from assistant.patterns import LIST_ITEM, kind_of, underlines
from assistant.results import Citation, Passage, RemovedSentence, TextDelta
from assistant.text import content_stems, held_stems, is_function_word, stem, strip_markers, tokens
from assistant.verify import key_terms

_FOLLOW_UP = re.compile(r"^(and|but|so|also|what about|how about)\b|\b(it|its|they|them|their|this|that|these|those|"
                        r"he|she|his|her|him|there|one|ones)\b", re.I)
_META = re.compile(r"\b(passages?|the question|the answer|the text|the documents?)\b", re.I)
MAX_SENTENCES = 3  # the small model pads answers with loosely related passage sentences
# A further passage sentence is quoted when its ranking score reaches this. The score is the sentence ranking's
# logistic output, fitted with balanced classes: a rank, not a calibrated probability (a sentence scoring 0.6-0.7
# holds the evidence about one time in five), so a refit of the ranking should sweep this again. Chosen on the dev
# splits: 0.5 gave the same fact recall with longer answers, 0.7 lower fact recall.
ALSO_QUOTE = 0.6
# A yes/no question is answered by the sentence holding what it asks of its subject ("… did not cite its sources"),
# which may name the subject otherwise and rank below one naming it: a sentence ranked within ``MAX_SENTENCES +
# COMPLETE_DEPTH`` holding at least half the question's words the chosen ones lack is quoted from this score. Chosen
# on dev and the probes: the seed's two "Did … cite its sources?" questions gained their fact; the same rule for every
# question made 26 more answers longer for no fact, so it holds for yes/no questions only.
COMPLETES = 0.4
COMPLETE_DEPTH = 2
# Ranking bonus of the sentence right after the one a follow-up's borrowed words point at. Chosen on dev: 0.5 took
# the seed dev file from 0.62 to 0.67 fact recall; 1.0 traded one more follow-up for another.
FOLLOWS_ON = 0.5
_ANSWER_GAP = 8  # characters of whitespace between a question ending one passage and the next passage's start
# A list's bullet or a heading's rule before a quote, and the space after it: marks followed by a space only, so
# "-5 °C" keeps its minus and "**bold**" its stars.
_LEADING_MARKS = re.compile(r"(?:[-•*]+(?=\s)|\s)*")
MAX_FAILED_IN_A_ROW = 2  # after this many unsupported or repeated sentences the model has lost the thread
# A document's own footnote marks: in an answer they would read as its citations. After a word of a line, read on
# from ("… files [57] are called …", "… the Cheese Shop [1], is …"), or ending the quote after its sentence ("…
# characters.\n\n[15]"); not code or a console's output ("x[15]", ".libPaths()[1]", "[1] 4", "ports: [80]"),
# nor a reference the sentence names ("as shown in [3], the …", "(see [5])", "Figure [2] shows").
_FOOTNOTE_MARK = re.compile(r"\b(?P<word>[A-Za-z]+)[ \t](?:\[[1-9]\d*\])+(?=[ \t][a-z]|[,;:)])"
                            r"|(?<=[.!?])\s*(?:\[[1-9]\d*\])+\s*$")
_NAMES_A_REFERENCE = frozenset("see cf ref reference references note notes footnote section chapter figure table "
                               "page item step appendix equation".split())


def without_footnote_marks(quote: str) -> str:
    """``quote`` without the document's own footnote marks (:data:`_FOOTNOTE_MARK`)."""
    def drop(m: re.Match[str]) -> str:
        word = m.group("word")
        if word is None:
            return ""
        return m.group() if is_function_word(word) or word.lower() in _NAMES_A_REFERENCE else word

    return _FOOTNOTE_MARK.sub(drop, quote).strip() or quote


def _same(sentence: str) -> str:
    """A sentence as compared for repeats: case and whitespace aside (the same sentence from a PDF and from its HTML
    version differ in line ends)."""
    return " ".join(sentence.split()).lower()


def condense(question: str, history: Sequence[dict[str, Any]]) -> str:
    """A standalone search query: a follow-up borrows the content words of the previous question it lacks.

    Deterministic on purpose: the bundled model rewrites questions into new ones.
    """
    previous = [str(m.get("content", "")) for m in history if m.get("role") == "user" and m.get("content")]
    stems = content_stems(question)
    # a pronoun or a leading "and", or nothing of its own to ask about ("Why?", "Who else?", "How much?")
    if not previous or not (_FOLLOW_UP.search(question) or not stems):
        return question
    own = stems | {t.text for t in tokens(question)}
    borrowed = []
    for t in tokens(previous[-1]):
        st = stem(t.text)
        # a capital letter alone is a name (the language R, the letter C), the subject a follow-up refers to
        name_letter = len(t.text) == 1 and t.text.isupper() and t.text not in ("I", "A")
        if (st in content_stems(t.text) or name_letter) and st not in own and t.text not in own \
                and t.text not in borrowed:
            borrowed.append(t.text)
    core = re.sub(r"^(and|but|so|also)\s+", "", question, flags=re.I)
    return f"{core} ({' '.join(borrowed)})" if borrowed else core


def standalone_parts(query: str) -> list[str]:
    """The parts of a question asking several things, each to be searched alone: a later part pointing back
    ("What is iconv used for, and which package provides it?") borrows the words of the part before it, as a
    follow-up borrows those of the previous question."""
    out: list[str] = []
    for part in question_parts(query):
        out.append(condense(part, [{"role": "user", "content": out[-1]}]) if out else part)
    return out


def prompt_windows(exam: Examination, passages: Sequence[Passage], budget_chars: int) -> list[tuple[int, str]]:
    """(passage number, text) to show the model: the best-ranked sentences, grouped by passage in reading order,
    within ``budget_chars``. Numbers are 1-based indices into ``passages``, so the model's markers still resolve."""
    chosen: dict[int, list[Candidate]] = {}
    used = 0
    for c in exam.candidates:
        size = len(c.span.text) + 1
        if used + size > budget_chars and used:
            continue
        chosen.setdefault(c.passage, []).append(c)
        used += size
        if used >= budget_chars:
            break
    if not chosen and passages:
        return [(1, passages[0].text[:budget_chars])]
    out = []
    for i in sorted(chosen, key=lambda i: -max(c.score for c in chosen[i])):
        sentences = sorted(chosen[i], key=lambda c: c.span.start)
        out.append((i + 1, " ".join(c.span.text for c in sentences)))
    return out


def _next_to(first: Candidate, then: Candidate) -> bool:
    """``then`` is the sentence right after ``first`` in the same passage."""
    return then.passage == first.passage and 0 <= then.span.start - first.span.end <= 2


def _asks(c: Candidate) -> bool:
    """The sentence is a question (an FAQ's heading, a tutorial's "What happens if …?"): it answers nothing."""
    return c.span.text.rstrip().endswith("?")


# A section number before a heading's words ("4.5. ", "2.1.1 ", "A.3 ").
_SECTION_NUMBER = re.compile(r"^\s*(?:\d+|[A-Z](?=\.\d))(?:\.\d+)*\.?\s+")
_BLOCK_SPANS = 4  # sentences or lines of the block a lead-in introduces, quoted with it
_FULL_LINE = 40  # characters: text wrapped at 72-80 columns fills more than this of each line


def _hard_wrapped(text: str, document: str, start: int) -> bool:
    """Prose broken into lines at a fixed width: a sentence (``text``, at ``start`` in ``document``) whose lines go on
    unindented, no list items, each line but its last filling most of a line: the first counted whole, as the
    document has it, since the sentence may start late on it ("… README file. The\npurpose of …")."""
    lines = text.split("\n")
    first = document[document.rfind("\n", 0, start) + 1:start] + lines[0]
    return (len(lines) > 1 and text.rstrip().endswith((".", "!", "?"))
            and not any(line[:1].isspace() or LIST_ITEM.match(line) for line in lines[1:])
            and all(len(line) >= _FULL_LINE for line in [first, *lines[1:-1]]))


# A sentence ending in a bracket or quote closed after its full stop, question or exclamation mark (and maybe a
# full stop after it: "… (what happens?).").
_CLOSED = re.compile(r"[.!?][)\]\"'”’»]+\.?$")
# A line typed at a console's prompt: Python's ">>> ", R's "> " or "R> ", a shell's "$ ", then what is typed (not
# "$ 4.5 billion").
_CONSOLE_LINE = re.compile(r"^\s*(?:>>>|R?>|\$(?= [^\W\d]|[ ][./~])) \S", re.MULTILINE)
# A span ending mid-sentence: a list item that goes on in the next ("…, and", "…;").
_DANGLING = re.compile(r"(?:[,;]|\b(?:and|or|but|nor))$", re.IGNORECASE)


def _pairs(text: str) -> set[tuple[str, str]]:
    """Each two content words standing together in ``text``, stemmed."""
    stems = [stem(t.text) for t in tokens(text) if not is_function_word(t.text)]
    return set(pairwise(stems))


def _title_cased(line: str) -> bool:
    """A title in title case ("Maximum Number Of Rows In A Table", "Using the Python Interpreter"): three words or
    more, every word but the function words capitalised; not a list item, a line holding a figure (a table's row,
    "Maximum Number Of Columns 2000") or a comma (a line of names is a list)."""
    words = [t.text for t in tokens(line) if t.text[:1].isalpha()]
    content = [w for w in words if not is_function_word(w)]
    return (len(content) >= 3 and not LIST_ITEM.match(line) and not any(c.isdigit() or c == "," for c in line)
            and all(w[:1].isupper() for w in content))


class AnswerRun:
    """The verification state of one answer while it streams."""

    def __init__(self, grounder: Grounder, question: str, query: str, passages: list[Passage], exam: Examination,
                 unsupported: str = "remove") -> None:
        self.grounder = grounder
        self.question = question
        self.query = query
        self.passages = passages
        self.exam = exam
        self.unsupported = unsupported
        self.kind = answer_type(query)
        self.parts = question_parts(query) or [query]
        self._part_kinds = [answer_type(p) for p in self.parts]
        # the query's content stems and its key terms (names, numbers, code strings), read by every sentence check
        self._asked = question_stems(query)
        self._query_terms = key_terms(query)
        self.sentences: list[str] = []
        self.removed: list[RemovedSentence] = []
        self.citations: list[Citation] = []
        self.text = ""
        self.mode = "generated"
        self.verify_s = 0.0
        self.failed_in_a_row = 0
        self.restated = 0  # sentences of the model that only restate the quoted one
        self.generated = 0  # sentences of the model kept
        self._lead: list[Evidence] = []
        self._seen: set[str] = set()
        self._best: list[Evidence] | None = None  # best_evidence(), worked out once
        self._leading = 1  # how many of best_evidence() make the best quote: the best sentence and what it needs
        self._follows: set[tuple[int, int]] = set()  # (passage, start in it) of what a lead-in introduces
        self._block_last = False  # the answer so far ends with a block (code, a console, what a lead-in introduces)
        self._block_follows = False  # what is quoted next, if introduced, goes on with the block or its lead-in

    @property
    def done(self) -> bool:
        """The answer is complete: every part of the question has a kept sentence of the model, or enough are kept,
        or the model keeps writing sentences that fail."""
        # Once the best passage sentence leads the answer, one sentence that fails verification ends the model's
        # turn: what it would add is a bonus, and a small model that writes one unverifiable sentence rarely recovers.
        # A sentence restating the quote is no failure (a capable model starts that way), but two end it too.
        failures = 1 if self._lead else MAX_FAILED_IN_A_ROW
        return (self.generated >= min(len(self.parts), MAX_SENTENCES) or self.failed_in_a_row >= failures
                or self.restated >= MAX_FAILED_IN_A_ROW)

    def lead(self) -> Iterator[TextDelta]:
        """Quote the best quote (the best-matching passage sentence, after the one it points back to or concludes
        from) before the model writes: the answer holds it in any case (``complete`` or ``extractive`` would add it at
        the end), so the first verified words need not wait."""
        self._lead = self._best_quote()
        if self._lead:
            self.mode = "extractive"  # until a sentence of the model is kept
        for ev in self._lead:
            yield from self._quote(ev)

    def add(self, raw: str) -> Iterator[TextDelta]:
        t = time.perf_counter()
        try:
            sentence, cited = strip_markers(raw)
            if not sentence:
                return
            if _same(sentence) in self._seen:
                self.failed_in_a_row += 1
                return
            self._seen.add(_same(sentence))
            support = self.grounder.support_for(sentence, self.passages, cited)
            problem = support.reason or self._off_topic(sentence)
            restated = not problem and self._restates_lead(support)
            if restated:
                self.restated += 1
                self.removed.append(RemovedSentence(text=sentence, reason=restated))
                return
            if problem:
                self.failed_in_a_row += 1
                flag = self.unsupported == "flag"
                self.removed.append(RemovedSentence(text=sentence, reason=problem, flagged=flag))
                if flag:
                    yield self._emit(f"{sentence} (unverified)")
                return
            self.failed_in_a_row = 0
            self.generated += 1
            self.mode = "generated+extractive" if self._lead else "generated"
            self.sentences.append(sentence)
            yield self._emit(self._cite(sentence, support))
        finally:
            self.verify_s += time.perf_counter() - t

    def _restates_lead(self, support: Support) -> str:
        if any(ev.passage == q.passage and ev.start < q.end and q.start < ev.end
               for ev in support.evidence for q in self._lead):
            return "supported, but restates the passage sentence already quoted"
        return ""

    def _off_topic(self, sentence: str) -> str:
        if self.generated >= MAX_SENTENCES:
            return f"supported, but the answer already has {MAX_SENTENCES} sentences"
        # a model's own sentence may say what an abbreviation stands for in words of its own ("It stands for …")
        # a question of several parts asks for the kind of any of them ("What is his full name, and when …?")
        kinds = self._part_kinds
        gives = [k for k in kinds if k not in UNCHECKED and has_answer_type(sentence, k, self.query)]
        if all(k not in UNCHECKED and k is not AnswerType.EXPANSION for k in kinds) and not gives:
            return f"supported, but gives no {kinds[0].value}, which the question asks for"
        if sentence.rstrip().endswith(":") or self._says_nothing_new(sentence):
            return "only repeats the question or a heading"
        if _META.search(sentence):
            return "talks about the passages or the question, not the subject"
        # a name asked for is given without the question's words ("His first name is Fumio.")
        if len(held_stems(sentence) & self._asked) < max(1, 0.25 * len(self._asked)) \
                and AnswerType.FULL_NAME not in gives:
            return "supported, but does not address the question"
        return ""

    def _says_nothing_new(self, sentence: str) -> bool:
        """Only the question's words again: a heading, often."""
        said = content_stems(sentence, apart=True)  # as the question's words are read
        new_terms = key_terms(sentence) - self._query_terms - self._asked
        return bool(said and not said - self._asked and not new_terms)

    def _heading(self, c: Candidate) -> bool:
        """A title over the text that answers: one line, no sentence's closing mark, and nothing but the question's
        words after its section number ("4.5. pass Statements", "The dpkg-divert command" for "What does the
        dpkg-divert command do?") or title-cased ("Maximum Number Of Rows In A Table"), or a line underlined with a
        repeated mark. Quoted, it repeats the question or names a section; the section it opens answers it."""
        text = c.span.text.strip()
        line, _, under = text.partition("\n")
        if under:  # underlined (a plain-text or Markdown heading): a title, whatever it names
            return underlines(line, under)
        if not text or text.endswith(_CLOSES):
            return False
        title = _SECTION_NUMBER.sub("", text)
        return self._says_nothing_new(title) or _title_cased(title)

    def _worth_adding(self, c: Candidate, chosen: Sequence[Candidate], completes: bool = False) -> bool:
        """A further quote: scoring ``ALSO_QUOTE`` (``COMPLETES`` if ``completes``, checked by the caller), not the
        text of one already chosen (the same sentence may sit in two passages), more than the question's words, no
        question or heading, and no item of a list that ends mid-sentence ("… during a package upgrade, and"):
        without the line leading into the list it says nothing. A lead-in ending in a colon or a line of code may be
        the answer in technical documents ("To deactivate a virtual environment, type:"), so neither is left out
        here."""
        text = c.span.text.strip()
        return ((c.score >= ALSO_QUOTE or completes) and not _asks(c) and not self._heading(c)
                and not _DANGLING.search(text) and all(_same(text) != _same(x.span.text) for x in chosen)
                and not self._says_nothing_new(text))

    def extractive(self) -> Iterator[TextDelta]:
        """Nothing the model wrote survived: quote the passage sentences that best answer the question (those not
        quoted already)."""
        self.mode = "extractive"
        for ev in self.best_evidence():
            if not any((ev.passage, ev.start) == (q.passage, q.start) for q in self._lead):
                yield from self._quote(ev)

    def complete(self) -> Iterator[TextDelta]:
        """Add the best quote (the best-matching passage sentence and what it needs beside it) where the model's kept
        sentences do not already cite it."""
        missing = [ev for ev in self._best_quote() if not self._cited(ev)]
        if not missing:
            return
        self.mode = "generated+extractive"
        for ev in missing:
            yield from self._quote(ev)

    def _cited(self, ev: Evidence) -> bool:
        p = self.passages[ev.passage]
        return any(c.source == p.source and c.start < ev.end and ev.start < c.end for c in self.citations)

    def _best_quote(self) -> list[Evidence]:
        """The first of ``best_evidence()`` that belong together: the best sentence, after the sentence it points back
        to or the reason it concludes from."""
        best = self.best_evidence()
        return best[:self._leading]

    def best_evidence(self) -> list[Evidence]:
        """The best sentence for each part of the question (a question in the text gives way to the sentence after
        it); for a one-part question, the next sentence too when it follows the best one and ranks nearly as well
        (answers often take two sentences) or goes on about it ("This is …"), for a why-question the reason beside
        the best one, and the sentence before when the best (or its reason) opens by pointing back ("It …"). Then, up
        to ``MAX_SENTENCES`` (sentences that only go with the best one do not count), the next-ranked sentences
        scoring at least ``ALSO_QUOTE`` (the best-ranked sentence holds the evidence for only about 60 % of the dev
        questions). The best quote leads (the best sentence, after what it points back to or concludes from); the
        others follow in reading order."""
        if self._best is None:
            self._best, self._leading = self._choose_evidence()
        return self._best

    def _choose_evidence(self) -> tuple[list[Evidence], int]:
        """The evidence, and how many of it lead as the best quote."""
        ranked = self.exam.candidates
        if not ranked:
            return [], 0
        chosen: list[Candidate] = []
        lead, room = 1, MAX_SENTENCES
        if len(self.parts) > 1:
            # each part ranked as a question of its own: the whole question's ranking favours one part's sentence.
            # Every part's answer that ranks well leads (the model may answer one part only), with the sentence
            # going on about it ("This defaults to …"); a weak one only follows, as the first part's never does.
            later: list[Candidate] = []
            picked: set[str] = set()  # the sentences picked so far, as compared for repeats
            for k, part in enumerate(self.parts):
                part_ranked = self.grounder.rank(part, self.passages)
                pick = self._answer_to(next(iter(part_ranked), ranked[0]), ranked)
                if _same(pick.span.text) in picked:
                    continue
                picked.add(_same(pick.span.text))
                if k and pick.score < ALSO_QUOTE:
                    later.append(pick)
                    continue
                # what holds the kind of answer asked for is judged for the part
                goes_on = [c for c in self._going_on(pick, part_ranked or ranked, self._part_kinds[k])
                           if _same(c.span.text) not in picked]
                picked.update(_same(c.span.text) for c in goes_on)
                chosen += [pick, *goes_on]
                room += len(goes_on)
            lead = len(chosen)
            chosen += later
        else:
            top = ranked[0]
            if self.query != self.question:
                # A follow-up's own words say what is asked, the borrowed ones only what about; and it goes on
                # from what was just discussed: the sentence after the one holding most of the borrowed words
                # ("Why did it do that?") is a likely answer.
                own = question_stems(self.question)
                kind = answer_type(self.question)
                borrowed = self._asked - own
                near = ranked[:8]
                said = [held_stems(c.span.text) for c in near]
                prior = near[max(range(len(near)), key=lambda i: len(borrowed & said[i]))] if borrowed else None

                def fit(i: int) -> float:
                    c = near[i]
                    typed = kind is not AnswerType.ANY and has_answer_type(c.span.text, kind, self.question)
                    return (c.score + len(own & said[i]) / (len(own) or 1) + (0.5 if typed else 0.0)
                            + (FOLLOWS_ON if prior is not None and _next_to(prior, c) else 0.0))

                top = near[max(range(len(near)), key=fit)]
            top = self._answer_to(top, ranked)
            chosen.append(top)
            if self.kind is AnswerType.REASON:
                beside = self._reason_beside(top, ranked)
                # a reason before a "So …" sentence leads: the answer reads in the text's order
                chosen = [*beside, top] if states_consequence(top.span.text) else [top, *beside]
            if refers_back(chosen[0].span.text):
                # "It consumes more memory", "This means …": the sentence before says what it is about; it goes with
                # the best one, so it does not count against MAX_SENTENCES
                before = self._before(chosen[0], ranked)
                chosen = [*before, *chosen]
                room += len(before)
            lead = chosen.index(top) + 1
            for c in self._next_sentences(top, ranked):
                if c in chosen:
                    continue
                if c in ranked[1:3] and c.score >= max(0.5, top.score - 0.15):
                    chosen.append(c)  # the next sentence, ranking nearly as well
                elif self._goes_on(top, c, self.kind):
                    # it goes on about the best one ("This is a copy of …") or gives what it leads into, at whatever
                    # score: part of the same quote, so it takes no other sentence's place
                    chosen.append(c)
                    room += 1
        for c in ranked[:MAX_SENTENCES]:
            if len(chosen) < room and self._worth_adding(c, chosen):
                chosen.append(c)
        if asks_yes_or_no(self.query):
            chosen += self._completing(chosen, ranked, room)
        chosen, lead = self._introduced(chosen, ranked, lead)
        chosen[lead:] = sorted(chosen[lead:], key=lambda c: (self.passages[c.passage].source,
                                                             self.passages[c.passage].start + c.span.start))
        out = []
        for c in chosen:
            p = self.passages[c.passage]
            out.append(Evidence(c.passage, p.start + c.span.start, p.start + c.span.end, c.span.text, c.score))
        return out, lead

    def _completing(self, chosen: Sequence[Candidate], ranked: Sequence[Candidate], room: int) -> list[Candidate]:
        """The next-ranked sentence (see ``COMPLETES``) holding at least half the question's words ``chosen`` lack,
        when there is room for it."""
        held = {st for c in chosen for st in held_stems(c.span.text)} & self._asked
        lacking = self._asked - held
        if len(chosen) >= room or not lacking:
            return []
        for c in ranked[:MAX_SENTENCES + COMPLETE_DEPTH]:
            if c not in chosen and c.score >= COMPLETES and len(held_stems(c.span.text) & lacking) * 2 >= len(lacking) \
                    and self._worth_adding(c, chosen, completes=True):
                return [c]
        return []

    def _next_sentences(self, top: Candidate, ranked: Sequence[Candidate]) -> list[Candidate]:
        """The sentence after ``top`` in its passage, when it could be quoted with it (no question, heading or
        list item ending mid-sentence)."""
        return [c for c in ranked if _next_to(top, c) and not _asks(c) and not self._heading(c)
                and not _DANGLING.search(c.span.text.strip())]

    def _going_on(self, top: Candidate, ranked: Sequence[Candidate], kind: AnswerType) -> list[Candidate]:
        """The next sentence when it opens by pointing back to ``top`` ("This is a copy of …"), or, for a question
        asking for a list, when it holds one and ``top`` does not: ``top`` leads into it ("Various environment
        variables can be set …. The environment variables TMPDIR, TMP and TEMP are searched in turn"). A date or an
        amount after a sentence may be another event's."""
        return [c for c in self._next_sentences(top, ranked) if self._goes_on(top, c, kind)]

    def _goes_on(self, top: Candidate, c: Candidate, kind: AnswerType) -> bool:
        """``c``, the sentence after ``top``, points back to it or gives the list it leads into."""
        return refers_back(c.span.text) or (kind is AnswerType.LIST and c.typed and not top.typed
                                            and self._same_subject(top, c))

    def _same_subject(self, a: Candidate, b: Candidate) -> bool:
        """Both sentences hold two words of the question that stand together in it ("environment variables"): one
        goes on about what the other names."""
        pairs = _pairs(self.question)
        return bool(pairs & _pairs(a.span.text) & _pairs(b.span.text))

    def _introduced(self, chosen: list[Candidate], ranked: Sequence[Candidate], lead: int
                    ) -> tuple[list[Candidate], int]:
        """A lead-in ending in a colon ("The syntax for a coprocess is:") says nothing without what it introduces
        (code, a list, a definition): the block right after it in its passage (up to ``_BLOCK_SPANS`` sentences or
        lines, to the next blank line) is quoted with it, as part of the same quote (in the lead when the lead-in
        is), keeping its line ends. A further quote's lead-in whose block is not among the passages (it ends its
        passage) is left out when it adds nothing to the other quotes: alone it introduces nothing ("… can be
        generated as:")."""
        out: list[Candidate] = []
        grown = lead
        for i, c in enumerate(chosen):
            out.append(c)
            if not c.span.text.rstrip().endswith(":"):
                continue
            text = self.passages[c.passage].text
            spans = sorted((n for n in ranked if n.passage == c.passage and n.span.start >= c.span.end),
                           key=lambda n: n.span.start)
            end, gap = c.span.end, ""
            for n in spans[:_BLOCK_SPANS]:
                between = text[end:n.span.start]
                if between.strip() or (gap and "\n\n" in between) or n in chosen or n in out:
                    break  # the block ends at a blank line (the first may follow one: "is:\n\n    code")
                out.append(n)
                self._follows.add((n.passage, n.span.start))
                grown += i < lead
                end, gap = n.span.end, between or " "
            if not spans and i >= lead and not self._adds(c, [o for o in chosen if o is not c]):
                out.pop()
        return out, grown

    def _adds(self, c: Candidate, others: Sequence[Candidate]) -> bool:
        """Does ``c`` hold a name, number or code, or a word of the question, that none of ``others`` holds?"""
        held = {st for o in others for st in held_stems(o.span.text)}
        terms = {t for o in others for t in key_terms(o.span.text)}
        return bool((held_stems(c.span.text) & self._asked) - held or key_terms(c.span.text) - terms)

    def _answer_to(self, c: Candidate, ranked: Sequence[Candidate]) -> Candidate:
        """A question or a heading in the text stands where its answer starts: the sentence after it, when there is
        one (in the next passage of the same document when it ends its passage); else the best-ranked sentence that
        is neither (a title alone answers nothing)."""
        if not _asks(c) and not self._heading(c):
            return c
        p = self.passages[c.passage]
        end = p.start + c.span.end
        # passages are stripped of the whitespace at their edges, so the next one may start a few characters on
        after = next((n for n in ranked if self.passages[n.passage].source == p.source and not _asks(n)
                      and not self._heading(n)
                      and 0 <= self.passages[n.passage].start + n.span.start - end <= _ANSWER_GAP), None)
        return after or next((n for n in ranked if not _asks(n) and not self._heading(n)), c)

    def _reason_beside(self, top: Candidate, ranked: Sequence[Candidate]) -> list[Candidate]:
        """A why-question's best sentence often restates what is asked, and the reason stands beside it: before a
        sentence opening with a consequence ("So …", "As a result, …"), or after one that marks no reason when the
        next one does."""
        if states_consequence(top.span.text):
            return self._before(top, ranked)
        if has_answer_type(top.span.text, AnswerType.REASON, self.query):
            return []
        return [c for c in ranked if _next_to(top, c)
                and has_answer_type(c.span.text, AnswerType.REASON, self.query)][:1]

    @staticmethod
    def _before(top: Candidate, ranked: Sequence[Candidate]) -> list[Candidate]:
        """The sentence right before ``top`` in its passage (none when that one is a question)."""
        return [c for c in ranked if _next_to(c, top) and not _asks(c)][:1]

    def _quote(self, ev: Evidence) -> Iterator[TextDelta]:
        p = self.passages[ev.passage]
        introduced = (ev.passage, ev.start - p.start) in self._follows
        marks = _LEADING_MARKS.match(ev.text)
        offset = marks.end() if marks else 0
        quote = ev.text[offset:].rstrip()
        ev = Evidence(ev.passage, ev.start + offset, ev.start + offset + len(quote), quote, ev.score)
        self.sentences.append(quote)
        # A PDF's line ends inside a sentence are where the page wrapped it, and so are those of a plain-text file
        # wrapped at a fixed width: the answer reads it as one line (the citation keeps the text as extracted).
        # Other line ends are the document's own (<br>, <pre>, code, verse), and so are those of what a lead-in
        # introduces.
        # A console's lines (a prompt and what it printed) are no wrapped prose in any document.
        console = bool(_CONSOLE_LINE.search(quote))
        wrapped = not introduced and not console and (
            p.page is not None or (kind_of(p.source) in ("text", "markdown")
                                   and _hard_wrapped(quote, p.text, ev.start - p.start)))
        # footnote marks before the line ends go: a console's "> x\n[1] 4" would read as a line of words
        shown = without_footnote_marks(quote)
        shown = " ".join(shown.split()) if wrapped else shown
        # What a lead-in introduces, any quote of several lines (code, a console, a table) and a command at a
        # prompt are set apart as a block: as written, with no full stop added after a command or an output.
        block = introduced or "\n" in shown or console
        after = p.text[ev.end - p.start:]
        introduces = (ev.passage, ev.end - p.start + len(after) - len(after.lstrip())) in self._follows
        sentence = self._cite(shown, Support(quote, (ev,)), block=block, introduces=introduces)
        yield self._emit(sentence, block=block, continues=introduced and self._block_follows)
        self._block_follows = introduces or (introduced and self._block_follows)

    def _cite(self, sentence: str, support: Support, *, block: bool = False, introduces: bool = False) -> str:
        markers = []
        for ev in support.evidence:
            p = self.passages[ev.passage]
            existing = next((c for c in self.citations if (c.passage_id, c.start, c.end) == (p.id, ev.start, ev.end)),
                            None)
            if existing is None:
                existing = Citation(marker=len(self.citations) + 1, passage_id=p.id, source=p.source,
                                    start=ev.start, end=ev.end, quote=ev.text, page=p.page,
                                    page_label=p.page_label)
                self.citations.append(existing)
            markers.append(existing.marker)
        tags = "".join(f"[{m}]" for m in dict.fromkeys(markers))
        # a block as written, its marker after ("$ cd .. [2]"); after a bracket or quote closed after its
        # sentence's mark too: "…(5).) [2]", not "…(5).) [2]." (a sentence of its own to a splitter)
        if block or _CLOSED.search(sentence):
            return f"{sentence} {tags}"
        # a lead-in keeps its colon before the block it introduces: "… as follows [2]:"
        body, end = (sentence[:-1], sentence[-1]) if sentence[-1] in ".!?" or (introduces and sentence[-1] == ":") \
            else (sentence, ".")
        return f"{body} {tags}{end}"

    def _emit(self, sentence: str, *, block: bool = False, continues: bool = False) -> TextDelta:
        """Add ``sentence`` to the answer: after a space, or on a line of its own when it goes on with the block
        its lead-in introduces, or after a blank line when it or the one before is a block (a blank line also ends
        a sentence for :func:`~assistant.text.sentence_spans`)."""
        gap = "\n" if continues else "\n\n" if block or self._block_last else " "
        piece = sentence if not self.text else f"{gap}{sentence}"
        self.text += piece
        self._block_last = block
        return TextDelta(text=piece)
