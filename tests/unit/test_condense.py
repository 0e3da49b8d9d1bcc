"""A follow-up question borrows what the previous question was about."""

from assistant.policy import condense, standalone_parts


def _after(previous: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": previous}, {"role": "assistant", "content": "…"}]


def test_a_standalone_question_is_searched_as_asked() -> None:
    assert condense("Who wrote R?", _after("What is R?")) == "Who wrote R?"
    assert condense("And who wrote it?", []) == "And who wrote it?"


def test_a_follow_up_borrows_the_content_words_it_lacks() -> None:
    assert condense("And what about tuples?", _after("Are lists mutable in Python?")) == \
        "what about tuples? (lists mutable Python)"


def test_a_name_of_one_capital_letter_is_borrowed_too() -> None:
    query = condense("At which university did they write it?", _after("Who originally wrote R?"))
    assert query.endswith("(originally wrote R)")
    assert "(I" not in condense("Where is it?", _after("Can I install the package?"))


def test_a_question_with_no_words_of_its_own_is_a_follow_up() -> None:
    assert condense("Why?", _after("When will Kishida visit the U.S.?")) == "Why? (Kishida visit U.S)"
    assert condense("Who else?", _after("Which companies may take part?")) == "Who else? (companies take part)"
    assert condense("Why?", []) == "Why?"  # nothing to borrow from


def test_a_later_part_pointing_back_borrows_the_words_of_the_part_before() -> None:
    assert standalone_parts("What is iconv used for, and which package provides it?") == [
        "What is iconv used for", "which package provides it? (iconv used)"]
    # a part that names its own subject stands alone; a question asking one thing is one part
    assert standalone_parts("Which paper reported it, and on which day?") == [
        "Which paper reported it", "on which day?"]
    assert standalone_parts("How do I read and write files?") == ["How do I read and write files?"]
    # a third part borrows from the second as searched, so the subject goes on
    assert standalone_parts("What is dpkg, and when was it added, and why was it removed?")[2] == \
        "why was it removed? (added dpkg)"
