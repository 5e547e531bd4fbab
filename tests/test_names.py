import pytest

from mediaquery.errors import InvalidName
from mediaquery.names import validate_name


@pytest.mark.parametrize("name", ["a.jpg", "holiday/2024/beach.jpg", "Ünïcode ☃.png", "a b.jpg"])
def test_accepts_relative_names(name: str) -> None:
    assert validate_name(name) == name


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "empty"),
        ("../etc/passwd", "'..'"),
        ("a/../b.jpg", "'..'"),
        ("/etc/passwd", "relative"),
        ("a//b.jpg", "empty"),
        ("a\x00b.jpg", "control"),
        ("a\nb.jpg", "control"),
        ("a\\b.jpg", "relative"),
        ("C:/x.jpg", "relative"),
        (".hidden.jpg", "temporary"),
        ("x" * 1100, "longer"),
    ],
)
def test_rejects_unsafe_names_with_reason(name: str, reason: str) -> None:
    with pytest.raises(InvalidName, match=reason):
        validate_name(name)
