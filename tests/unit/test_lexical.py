"""The BM25 side of hybrid retrieval: tokens that keep technical strings findable, the index, its file, and the
reciprocal rank fusion that merges it with the dense ranking."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.lexical import LexicalIndex, rebuild, tokenize
from assistant.manifest import DocEntry, Manifest
from assistant.retrieval import fused_top, reciprocal_rank_fusion


def test_option_names_are_indexed_whole_and_in_parts() -> None:
    tokens = tokenize("Run apt-get install --no-install-recommends to skip them.")
    assert "--no-install-recommends" in tokens and "apt-get" in tokens
    assert {"instal", "recommend", "apt", "get"} <= set(tokens)
    assert "no" not in tokens and "to" not in tokens  # English stopwords go, the whole option stays


def test_paths_dotted_and_underscored_names_keep_their_exact_form() -> None:
    tokens = tokenize("Edit (/etc/apt/sources.list), call str.removeprefix() or os.path.join; set sys_path.")
    assert {"/etc/apt/sources.list", "str.removeprefix", "os.path.join", "sys_path"} <= set(tokens)
    assert {"etc", "apt", "sourc", "list", "str", "removeprefix", "os", "path", "join", "sys"} <= set(tokens)


def test_numbers_and_versions_stay_whole() -> None:
    tokens = tokenize("Python 3.11 on x86_64.")
    assert "3.11" in tokens and "x86_64" in tokens and "11" in tokens


def test_plain_words_are_stemmed_and_stopwords_dropped() -> None:
    assert tokenize("The packages were installed") == tokenize("package installing")
    assert tokenize("what is it and how does it do that") == []


def test_operators_are_terms_but_prose_dashes_and_ellipses_are_not() -> None:
    assert tokenize("x <<- 1 and y -> z, a == b") == ["x", "<<-", "1", "->", "z", "==", "b"]
    assert tokenize("-- ... (—) ; -") == []


def test_overlong_runs_make_no_terms() -> None:
    assert "x" * 90 not in tokenize("x" * 90 + " word")


def _index() -> LexicalIndex:
    texts = [
        "Install without suggested packages: apt-get install --no-install-recommends.",
        "The sources are listed in /etc/apt/sources.list, one per line.",
        "Packages are installed with apt-get; the package list is updated first.",
        "Strings have a removeprefix method: str.removeprefix returns a copy.",
    ]
    return LexicalIndex.build([f"g{i}:0" for i in range(len(texts))], texts, key="k1")


def test_exact_technical_strings_rank_their_chunk_first() -> None:
    index = _index()
    assert index.search("what does --no-install-recommends do?", 4)[0][0] == "g0:0"
    assert index.search("Where is /etc/apt/sources.list?", 4)[0][0] == "g1:0"
    assert index.search("str.removeprefix", 4)[0][0] == "g3:0"


def test_chunks_sharing_no_term_are_not_returned() -> None:
    index = _index()
    assert index.search("sourdough starter", 4) == []
    hits = index.search("removeprefix", 4)
    assert [i for i, _ in hits] == ["g3:0"] and hits[0][1] > 0


def test_index_file_round_trips_and_a_broken_file_reads_as_none(tmp_path: Path) -> None:
    index = _index()
    path = tmp_path / "sub" / "m.lexical.npz"
    index.save(path)
    loaded = LexicalIndex.load(path)
    assert loaded is not None and loaded.key == "k1" and loaded.ids == index.ids and loaded.vocab == index.vocab
    assert np.array_equal(loaded.data, index.data)
    for q in ("apt-get install", "/etc/apt/sources.list", "copy of strings"):
        assert loaded.search(q, 4) == index.search(q, 4)
    assert [p.name for p in path.parent.iterdir()] == ["m.lexical.npz"]
    path.write_bytes(b"not an npz")
    assert LexicalIndex.load(path) is None
    assert LexicalIndex.load(tmp_path / "missing.npz") is None


class _Store:
    """The one store call a rebuild makes, over chunk texts held in a dict; records which ids were read."""

    def __init__(self, texts: dict[str, str]) -> None:
        self.records, self.read = texts, []

    def texts(self, ids: list[str]) -> tuple[list[str], list[str]]:
        self.read.extend(ids)
        found = sorted(i for i in ids if i in self.records)
        return found, [self.records[i] for i in found]


def _manifest(chunks: dict[str, int]) -> Manifest:
    return Manifest().with_documents({f"/{g}.txt": DocEntry(g, g, n, g) for g, n in chunks.items()})


def test_a_rebuild_tokenises_only_new_chunks_and_equals_a_build_at_once(tmp_path: Path) -> None:
    texts = {
        "a:0": "Install without suggested packages: apt-get install --no-install-recommends.",
        "a:1": "The sources are listed in /etc/apt/sources.list, one per line.",
        "b:0": "Packages are installed with apt-get; the package list is updated first.",
        "c:0": "Strings have a removeprefix method: str.removeprefix returns a copy.",
        "c:1": "A copy of the list is made by slicing: every package stays in place.",
    }
    path = tmp_path / "m.lexical.npz"
    first = _Store(texts)
    rebuild(first, _manifest({"a": 2, "b": 1}), path)  # type: ignore[arg-type]
    assert sorted(first.read) == ["a:0", "a:1", "b:0"]
    second = _Store(texts)
    later = _manifest({"a": 2, "c": 2})  # b is gone, c is new
    stepped = rebuild(second, later, path)  # type: ignore[arg-type]
    assert sorted(second.read) == ["c:0", "c:1"]  # a's terms came from the file
    ids = later.chunk_ids()
    at_once = LexicalIndex.build(ids, [texts[i] for i in ids], later.content_key)
    assert stepped.ids == at_once.ids == ("a:0", "a:1", "c:0", "c:1")
    assert stepped.vocab == at_once.vocab and "updat" not in stepped.vocab  # b's words left with it
    for name in ("data", "indices", "indptr", "terms", "bounds"):
        assert np.array_equal(getattr(stepped, name), getattr(at_once, name)), name
    saved = LexicalIndex.load(path, with_terms=True)
    assert saved is not None and saved.rows() == {i: tokenize(texts[i]) for i in at_once.ids}
    assert LexicalIndex.load(path) is not None and LexicalIndex.load(path).rows() == {}  # type: ignore[union-attr]


def test_terms_saved_under_other_tokenizer_libraries_are_not_reused(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import assistant.lexical as lexical

    path = tmp_path / "m.lexical.npz"
    store = _Store({"a:0": "Packages are installed with apt-get."})
    rebuild(store, _manifest({"a": 1}), path)  # type: ignore[arg-type]
    monkeypatch.setattr(lexical, "_tokenizer_version", lambda: "bm25s 9.9, snowballstemmer 9.9")
    assert LexicalIndex.load(path, with_terms=True).rows() == {}  # type: ignore[union-attr]
    again = _Store(store.records)
    rebuild(again, _manifest({"a": 1}), path)  # type: ignore[arg-type]
    assert again.read == ["a:0"]  # tokenised again


def test_empty_index_finds_nothing() -> None:
    assert LexicalIndex.build([], [], key="k").search("anything", 4) == []


def test_rrf_rewards_agreement_over_one_top_rank() -> None:
    # "b" is 2nd in both rankings: 2/62 beats "a" (1st in one only, 1/61)
    assert reciprocal_rank_fusion([["a", "b", "c"], ["d", "b", "e"]])[0] == "b"


def test_rrf_keeps_every_item_and_breaks_ties_by_first_ranking() -> None:
    fused = reciprocal_rank_fusion([["a", "b"], ["c", "d"]])
    assert fused == ["a", "c", "b", "d"]
    assert reciprocal_rank_fusion([["x"], []]) == ["x"]
    assert reciprocal_rank_fusion([]) == []


def test_rrf_constant_sets_how_much_top_ranks_dominate() -> None:
    rankings = [["a", "b", "c", "d"], ["d", "c", "x", "y"]]
    # k=60: rank sums are nearly flat, so agreement wins ("c": 3rd + 2nd, "d": 4th + 1st)
    assert reciprocal_rank_fusion(rankings)[:2] == ["d", "c"]
    fused = reciprocal_rank_fusion(rankings)
    assert fused.index("c") < fused.index("a")
    # k=0: a single first place (1/1) outweighs 1/3 + 1/2
    sharp = reciprocal_rank_fusion(rankings, k=0)
    assert sharp.index("a") < sharp.index("c")


def test_fused_top_keeps_each_rankings_first_passage() -> None:
    rankings = [["a", "b", "c", "d", "e"], ["z", "d", "c", "b", "e"]]
    # Fused, the two first places come last ("a" 5th, "z" 6th): a top 3 holds both, in fused order.
    assert reciprocal_rank_fusion(rankings) == ["b", "d", "c", "e", "a", "z"]
    assert fused_top(rankings, 3) == ["b", "a", "z"]
    assert fused_top(rankings, 1) == ["a"]  # fewer places than rankings: the fused order decides
    assert fused_top(rankings, 10) == reciprocal_rank_fusion(rankings)
    assert fused_top([[], ["x"]], 2) == ["x"]
