"""Canned reply bodies: known variables only, filled in as plain text."""

from __future__ import annotations

import pytest

from triage.core.errors import Invalid
from triage.replies.canned_domain import check, render


def test_a_body_naming_an_unknown_variable_is_refused_with_the_known_ones():
    with pytest.raises(Invalid, match=r"unknown variable\(s\) \{customer\}; use \{author_name\}"):
        check(name="Sorry", body="Hi {customer}")
    with pytest.raises(Invalid, match="needs a name; a canned reply needs some text"):
        check(name=" ", body=" ")


def test_variables_are_filled_in_and_never_evaluated():
    values = {"author_name": "<script>x</script>", "agent_name": "Alex", "case_link": "http://h/inbox/4"}
    body = "Hi {author_name}, {agent_name} here: {case_link} {author_name.__class__} {0} {unknown}"
    assert render(body, values) == ("Hi <script>x</script>, Alex here: http://h/inbox/4 "
                                    "{author_name.__class__} {0} {unknown}")


def test_a_name_and_body_come_back_trimmed():
    assert check(name=" Outage ", body=" We are on it, {author_name}. ") == (
        "Outage", "We are on it, {author_name}.")
