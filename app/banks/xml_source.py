"""Reading uploaded XML (QTI, Moodle XML) and the ZIP packages it travels in, as the hostile
input it is. Pure: bytes in, lxml elements out, no database.

lxml parses with entity resolution, DTD loading and network access off, and any document
that carries a DOCTYPE is refused outright: an exchange format never needs one, and the
DOCTYPE is where XML bombs (billion laughs) and external entities (a file of the server, a
request to another host) live. Packages are checked for size and entry count before anything
is unpacked (ZIP bombs), and entry names may not climb out of the package."""

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass

from lxml import etree

from app.banks.format import Problem
from app.core.limits import BANK_SOURCE_MAX_BYTES

MAX_XML_BYTES = 20 * 1024 * 1024
MAX_PACKAGE_BYTES = BANK_SOURCE_MAX_BYTES  # the largest bank source of all
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_PACKAGE_ENTRIES = 5000


def _parser() -> etree.XMLParser:
    # One parser per document: lxml parsers are not shared between threads.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_xml(content: bytes, file: str) -> tuple[etree._Element | None, Problem | None]:
    """The document's root element, or the problem that refuses it."""
    if len(content) > MAX_XML_BYTES:
        return None, Problem(file, None, None, None, "XML 文件过大，不能超过 20 MB")
    # Refused before libxml2 reads a declaration: the prolog is what precedes the first tag.
    first_tag = re.search(rb"<[A-Za-z_]", content)
    prolog = content[: first_tag.start()] if first_tag else content
    if b"<!DOCTYPE" in prolog.upper():
        return None, _doctype_refused(file)
    try:
        root = etree.fromstring(content, _parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or None
        return None, Problem(file, line, None, None, f"不是格式正确的 XML：{exc.msg}")
    if root.getroottree().docinfo.doctype:  # a prolog in another encoding (UTF-16)
        return None, _doctype_refused(file)
    return root, None


def _doctype_refused(file: str) -> Problem:
    return Problem(
        file,
        1,
        None,
        None,
        "文件含 DOCTYPE 声明（可能藏有实体扩展或外部实体），出于安全原因拒绝导入",
    )


@dataclass(frozen=True)
class Package:
    """The files of an uploaded ZIP, by their path inside it."""

    name: str
    files: dict[str, bytes]

    def get(self, path: str) -> bytes | None:
        return self.files.get(posixpath.normpath(path))


def read_package(content: bytes, file: str) -> tuple[Package | None, Problem | None]:
    if len(content) > MAX_PACKAGE_BYTES:
        return None, Problem(
            file, None, None, None, f"压缩包过大，不能超过 {MAX_PACKAGE_BYTES // 2**20} MB"
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        return None, Problem(file, None, None, None, "不是有效的 ZIP 压缩包")
    with archive:
        entries = [e for e in archive.infolist() if not e.is_dir()]
        if (
            len(entries) > MAX_PACKAGE_ENTRIES
            or sum(e.file_size for e in entries) > MAX_UNPACKED_BYTES
        ):
            return None, Problem(file, None, None, None, "压缩包解压后过大，未导入")
        files: dict[str, bytes] = {}
        for entry in entries:
            path = posixpath.normpath(entry.filename.replace("\\", "/"))
            if path.startswith(("../", "/")) or path == "..":
                return None, Problem(
                    file, None, None, None, f"压缩包中的路径不安全：{entry.filename}"
                )
            try:
                files[path] = archive.read(entry)
            except (zipfile.BadZipFile, OSError, NotImplementedError):
                return None, Problem(file, None, None, None, f"无法解压 {entry.filename}")
    return Package(file, files), None


_XML_SPACE = re.compile(r"[ \t\r\n]+")


def spaced(text: str) -> str:
    """Source whitespace (line breaks and indentation included) as the one space it shows.
    XML and HTML whitespace only: an ideographic space (U+3000, the blank of "（　　）") is
    text."""
    return _XML_SPACE.sub(" ", text)


def tidy_lines(text: str) -> str:
    """Text with block breaks as newlines: each line's whitespace folded, empty lines gone."""
    lines = (spaced(line).strip(" ") for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def local(tag: object) -> str:
    """An element's name without its namespace ("" for comments and the like)."""
    return etree.QName(tag).localname if isinstance(tag, str) else ""
