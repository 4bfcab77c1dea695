"""The one error type of the importers.

Every problem with an input file surfaces as :class:`SourceError`, never as a bare exception from a
parser library, so the CLI and the web layer can show staff one plain-Chinese sentence that says what
is wrong and where::

    wxpub.core.errors.ValidationError
     └── SourceError            file + location + Chinese message + machine-readable code
"""

from __future__ import annotations

from wxpub.core.errors import ValidationError

# Machine-readable codes, stable for the JSON API and for tests.
EMPTY = "empty"
TOO_LARGE = "too_large"
ENCRYPTED = "encrypted"
LEGACY_FORMAT = "legacy_format"
CORRUPT = "corrupt"
ARCHIVE_BOMB = "archive_bomb"
UNSAFE_XML = "unsafe_xml"
ENCODING = "encoding"
UNSUPPORTED = "unsupported"
MISSING_COLUMNS = "missing_columns"
BAD_ROW = "bad_row"
NO_CASES = "no_cases"
STRUCTURE = "structure"
CONFLICT = "conflict"
OUTSIDE_FOLDER = "outside_folder"


class SourceError(ValidationError):
    """A source file cannot be imported.

    ``file`` is the file name as given, ``location`` where inside it the problem is (``第12行``,
    ``工作表“案例”第5行``, ``第3段``; empty when the whole file is at fault), ``message`` a Chinese
    sentence for staff and ``code`` one of the constants of this module.
    """

    def __init__(self, file: str, location: str, message: str, code: str = STRUCTURE):
        self.file = file
        self.location = location
        self.message = message
        self.code = code
        Exception.__init__(self, str(self))

    def __str__(self) -> str:
        where = f"{self.file}（{self.location}）" if self.location else self.file
        return f"{where}：{self.message}"

    def to_dict(self) -> dict:
        """The JSON API's error body, with where the problem is."""
        return {"error": self.code, "message": str(self), "file": self.file,
                "location": self.location}

    def __reduce__(self):
        # Keep the error picklable (worker processes, test runners) despite the custom __init__.
        return (type(self), (self.file, self.location, self.message, self.code))
