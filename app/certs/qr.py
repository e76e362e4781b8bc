"""The verification URL's QR code as a matrix of modules: qrcode's encoding, with the per-code work made short.

qrcode (the library) builds the same symbol with bit-by-bit buffers, a recursive polynomial division for
the error correction and a scan of the whole matrix for the free modules; for a code of one version and
mask pattern, everything but the data is the same every time. Here, per (version, mask) and once per
process: the function patterns and format information, and the data modules' places in placement order
with their mask bits. Per code: the data's codewords (qrcode's segments and block table, the Reed-Solomon
remainder with log tables), then one pass over the places. tests/test_certs_qr.py compares the result
with qrcode's own for many URLs.
"""
import threading

import qrcode
from qrcode import LUT, base, util

# Any of the eight QR mask patterns is valid and every reader decodes it; choosing one skips qrcode's
# search for the "best" (eight trial encodings with penalty scoring).
MASK = 2  # vertical stripes: no large same-colour blocks with this URL's byte-mode data
ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M

_lock = threading.Lock()
_versions = {}  # the data's segments (mode, length) -> the smallest version that holds them
_layouts = {}  # version -> (template rows, [(row, column, mask bit)] of the data modules in placement order)


class _Bits:
    """qrcode's BitBuffer interface (put), kept as one integer."""

    def __init__(self):
        self.value = 0
        self.length = 0

    def put(self, num, length):
        self.value = (self.value << length) | (num & ((1 << length) - 1))
        self.length += length


def matrix(url):
    """The modules (rows of booleans, True = dark, no quiet zone) of `url`'s QR code."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECTION, border=0, mask_pattern=MASK)
    code.add_data(url)
    segments = code.data_list
    shape = tuple((d.mode, len(d)) for d in segments)
    version = _versions.get(shape)
    if version is None:
        version = _versions.setdefault(shape, code.best_fit())
    template, places = _layout(version)
    data = _codewords(version, segments)
    rows = [row[:] for row in template]
    bits = int.from_bytes(bytes(data), "big")
    top = len(data) * 8 - 1
    for i, (row, col, mask) in enumerate(places):
        rows[row][col] = (i <= top and (bits >> (top - i)) & 1 == 1) != mask
    return rows


def _codewords(version, segments):
    """The data and error-correction codewords, interleaved (as qrcode's util.create_data)."""
    buffer = _Bits()
    for segment in segments:
        buffer.put(segment.mode, 4)
        buffer.put(len(segment), util.length_in_bits(segment.mode, version))
        segment.write(buffer)
    blocks = base.rs_blocks(version, ERROR_CORRECTION)
    limit = sum(block.data_count * 8 for block in blocks)
    if buffer.length > limit:
        raise qrcode.exceptions.DataOverflowError(f"Code length overflow: {buffer.length} > {limit}")
    buffer.put(0, min(limit - buffer.length, 4))  # terminator
    buffer.put(0, -buffer.length % 8)
    pad = (limit - buffer.length) // 8
    data = list(buffer.value.to_bytes(buffer.length // 8, "big")) + [(util.PAD0, util.PAD1)[i % 2] for i in range(pad)]
    dc, ec, offset = [], [], 0
    for block in blocks:
        part = data[offset:offset + block.data_count]
        offset += block.data_count
        dc.append(part)
        ec.append(_remainder(part, block.total_count - block.data_count))
    out = [part[i] for i in range(max(map(len, dc))) for part in dc if i < len(part)]
    return out + [part[i] for i in range(max(map(len, ec))) for part in ec if i < len(part)]


def _remainder(data, count):
    """The Reed-Solomon error-correction codewords of one block (the remainder by the generator polynomial)."""
    generator = LUT.rsPoly_LUT.get(count) or _generator(count)
    logs = [base.LOG_TABLE[g] for g in generator[1:]]
    exp, log = base.EXP_TABLE, base.LOG_TABLE
    rest = [0] * count
    for byte in data:
        factor = byte ^ rest[0]
        rest = rest[1:]
        rest.append(0)
        if factor:
            f = log[factor]
            for i, g in enumerate(logs):
                rest[i] ^= exp[(g + f) % 255]
    return rest


def _generator(count):
    poly = base.Polynomial([1], 0)
    for i in range(count):
        poly = poly * base.Polynomial([1, base.gexp(i)], 0)
    return list(poly)


def _layout(version):
    """(template, places) for `version` and MASK, made once per process."""
    if version not in _layouts:
        with _lock:
            if version not in _layouts:
                _layouts[version] = _make_layout(version)
    return _layouts[version]


def _make_layout(version):
    code = qrcode.QRCode(version=version, error_correction=ERROR_CORRECTION, border=0, mask_pattern=MASK)
    n = code.modules_count = version * 4 + 17
    code.modules = [[None] * n for _ in range(n)]
    for row, col in ((0, 0), (n - 7, 0), (0, n - 7)):
        code.setup_position_probe_pattern(row, col)
    code.setup_position_adjust_pattern()
    code.setup_timing_pattern()
    code.setup_type_info(False, MASK)
    if version >= 7:
        code.setup_type_number(False)
    modules, masked, places = code.modules, util.mask_func(MASK), []
    # the placement order of qrcode's map_data: two-column strips from the right, up and down in turn
    upward, row = True, n - 1
    for col in range(n - 1, 0, -2):
        if col <= 6:
            col -= 1
        rows = range(n - 1, -1, -1) if upward else range(n)
        for row in rows:
            for c in (col, col - 1):
                if modules[row][c] is None:
                    places.append((row, c, masked(row, c)))
        upward = not upward
    template = [[bool(m) for m in line] for line in modules]
    return template, places
