"""A path convertor that also matches control characters, so bad names get a clear 400."""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor


class AnyPathConvertor(Convertor[str]):
    # Starlette's own `path` stops at newlines; names with them must reach validation.
    regex = r"[\s\S]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("name", AnyPathConvertor())
