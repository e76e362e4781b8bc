"""The certificate's page font: the main TrueType font, with the glyphs of the page's fixed text in a
subset that is the same in every certificate and therefore made once per process.

reportlab embeds a TrueType font as subsets of at most 256 glyphs, codes given in order of first use
within a document, and builds and compresses each subset's font program when the document is saved:
the largest part of making a certificate. `PageFont` shares the main font's face (same glyphs, same
metrics) and changes two things:

  * each document starts with the fixed characters (the page's printed text that does not depend on the
    learner, and ASCII, which reportlab keeps at its own codes) assigned in a fixed order, filling the
    first subset(s); any other character (a name, a unit) starts a new subset;
  * saving a document reuses the fixed subsets' font programs and ToUnicode maps, compressed once per
    process; only the other subsets (a few dozen glyphs) are built and compressed per certificate.

The page looks the same (the same glyphs at the same places); only the codes in the content stream differ.
"""
import threading
from weakref import WeakKeyDictionary

from reportlab.pdfbase import pdfdoc, pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont

_lock = threading.Lock()


class _Inline(pdfdoc.PDFObject):
    """A direct object whose bytes were formatted before (no references in it)."""

    def __init__(self, data):
        self.data = data

    def format(self, document):
        return self.data


class _Formatted(_Inline):
    """The same as an indirect object (a stream)."""

    __RefOnly__ = 1


class PageFont(TTFont):
    """`base`'s face under another name; `fixed` holds the characters whose subsets are made once."""

    def __init__(self, name, base, fixed):
        self.__dict__.update(base.__dict__)  # the face (parsed once for the main font), encoding, options
        self.fontName = name
        self.state = WeakKeyDictionary()
        self.requested = fixed
        self.fixed = "".join(dict.fromkeys(ch for ch in fixed if ord(ch) in base.face.charToGlyph))
        # fixed subset number -> (its characters, BaseFont name, formatted widths, ToUnicode, font file)
        self._made = {}
        self._fixed_subsets = None

    def splitString(self, text, doc, encoding="utf-8"):
        if doc not in self.state:
            self._start(doc)
        return super().splitString(text, doc, encoding)

    def _start(self, doc):
        """Assign the fixed characters their codes, then move on to a subset of their own for the rest."""
        super().splitString(self.fixed, doc)
        state = self.state[doc]
        self._fixed_subsets = len(state.subsets)
        state.nextCode = len(state.subsets) * 256

    def addObjects(self, doc):
        """reportlab's TTFont.addObjects, with the fixed subsets' streams made once."""
        state = self.state[doc]
        state.frozen = 1
        for n, subset in enumerate(state.subsets):
            internal = self.getSubsetInternalName(n, doc)[1:]
            made = self._made.get(n) or self._make(n, subset, doc)
            if n < self._fixed_subsets and made[0] == subset:
                base_name, widths, cmap, font_file = made[1:]
                # new objects each time: reportlab registers an object in one document only
                widths, cmap, font_file = _Inline(widths), _Formatted(cmap), _Formatted(font_file)
            else:
                base_name, widths, cmap, font_file = self._objects(n, subset)
                widths = pdfdoc.PDFArray(widths)
            font = pdfdoc.PDFTrueTypeFont()
            font.__Comment__ = f"Font {self.fontName} subset {n}"
            font.Name = internal
            font.BaseFont = base_name
            font.FirstChar = 0
            font.LastChar = len(subset) - 1
            font.Widths = widths
            font.ToUnicode = doc.Reference(cmap, "toUnicodeCMap:" + base_name)
            font.FontDescriptor = self._descriptor(doc, base_name, font_file)
            doc.Reference(font, internal)
            doc.idToObject["BasicFonts"].dict[internal] = font
        del self.state[doc]

    def _objects(self, n, subset):
        base_name = (ttfonts.SUBSETN(n) + b"+" + self.face.name + self.face.subfontNameX).decode("pdfdoc")
        cmap = pdfdoc.PDFStream(content=ttfonts.makeToUnicodeCMap(base_name, subset), filters=[pdfdoc.PDFZCompress])
        font_file = pdfdoc.PDFStream(content=self.face.makeSubset(subset), filters=[pdfdoc.PDFZCompress])
        font_file.dictionary["Length1"] = len(font_file.content)
        return base_name, list(map(self.face.getCharWidth, subset)), cmap, font_file

    def _make(self, n, subset, doc):
        """A fixed subset's objects, with its streams formatted (compressed) once and kept; None for another."""
        if n >= self._fixed_subsets:
            return None
        with _lock:
            if n not in self._made:
                base_name, widths, cmap, font_file = self._objects(n, subset)
                self._made[n] = (list(subset), base_name, pdfdoc.PDFArray(widths).format(doc), cmap.format(doc),
                                 font_file.format(doc))
        return self._made[n]

    def _descriptor(self, doc, base_name, font_file):
        face = self.face
        descriptor = pdfdoc.PDFDictionary({
            "Type": "/FontDescriptor", "Ascent": face.ascent, "CapHeight": face.capHeight, "Descent": face.descent,
            "Flags": (face.flags & ~ttfonts.FF_NONSYMBOLIC) | ttfonts.FF_SYMBOLIC,
            "FontBBox": pdfdoc.PDFArray(face.bbox),
            "FontName": pdfdoc.PDFName(base_name), "ItalicAngle": face.italicAngle, "StemV": face.stemV,
            "FontFile2": doc.Reference(font_file, f"fontFile:{face.filename}({base_name})"),
            "MissingWidth": face.defaultWidth})
        return doc.Reference(descriptor, "fontDescriptor:" + base_name)


_registered = {}  # name -> PageFont


def register(name, base_name, fixed):
    """Register a PageFont `name` over the registered font `base_name` (again when that one has changed)."""
    base = pdfmetrics.getFont(base_name)
    current = _registered.get(name)
    if current is None or current.face is not base.face or current.requested != fixed:
        with _lock:
            font = PageFont(name, base, fixed)
            # not pdfmetrics.registerFont: it would make `name` an alias of the font registered for the same face
            pdfmetrics._fonts[name] = font
            _registered[name] = font
    return name
