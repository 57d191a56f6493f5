#!/usr/bin/env python3
"""Generate colour scans of Vietnamese administrative results laid out as Decree 30/2020
prescribes, with ground-truth text and fields.

Each page has the two-column header (parent body and issuing agency on the left, the
national motto on the right, sharing lines), `Số: …` and the place-date line, the title
and `Về việc …`, a body in a Times-like serif with `Điều 1.` leads (and for some pages
holder lines or a ruled table of people), `Nơi nhận:` bottom left, and the signer's
title, a red round seal over a blue ink signature and the signer's name bottom right.
Then it is scanned: yellowed paper, the back page showing through mirrored, punch
holes, a dark or grey scanner border, sometimes a fold line, uneven light, skew up to
±10°, a few pages fed upside down, 200 or 300 dpi, JPEG q55–90, PNG or TIFF.

    python3 samples/realistic.py OUT_DIR [--count N] [--seed S]

Beside each image NAME.(jpg|png|tif) go NAME.gt.txt (every text line drawn in black,
one per line, NFC; the seal's lettering and the signature are not text) and
NAME.fields.txt (key=value: type, number, date, place, issuer, parent, personal_ids,
signer_title, signer_name, owner_id, dpi, skew_ccw, turn_ccw). The seed picks
everything; `scripts/bench.sh` uses seeds no test and no tuning used.
Needs Pillow and the fonts-liberation2 / fonts-dejavu Debian packages.
"""

import argparse
import io
import math
import os
import random
import unicodedata

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

FONT_DIRS = {
    "liberation-serif": ("/usr/share/fonts/truetype/liberation2/LiberationSerif-", "Regular", "Bold", "Italic", "BoldItalic"),
    "dejavu-serif": ("/usr/share/fonts/truetype/dejavu/DejaVuSerif", "", "-Bold", "-Italic", "-BoldItalic"),
}


def font_path(family, style):
    base, regular, bold, italic, bold_italic = FONT_DIRS[family]
    suffix = {"r": regular, "b": bold, "i": italic, "bi": bold_italic}[style]
    path = f"{base}{suffix}.ttf"
    if not os.path.exists(path):
        # DejaVu's italics come with fonts-dejavu-extra; fall back to Liberation's.
        return font_path("liberation-serif", style)
    return path


# (parent body, issuing agency, agency abbreviation, place, province code of its people)
AGENCIES = [
    ("UBND TỈNH NINH BÌNH", "SỞ KẾ HOẠCH VÀ ĐẦU TƯ", "SKHĐT", "Ninh Bình", "037"),
    ("UBND TỈNH ĐỒNG THÁP", "SỞ XÂY DỰNG", "SXD", "Đồng Tháp", "087"),
    ("UBND THÀNH PHỐ HÀ NỘI", "SỞ TƯ PHÁP", "STP", "Hà Nội", "001"),
    ("UBND TỈNH THỪA THIÊN HUẾ", "SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG", "STNMT", "Huế", "046"),
    ("UBND QUẬN HOÀN KIẾM", "ỦY BAN NHÂN DÂN PHƯỜNG HÀNG BẠC", "UBND", "Hà Nội", "001"),
    ("BỘ Y TẾ", "SỞ Y TẾ TỈNH BẮC NINH", "SYT", "Bắc Ninh", "027"),
    ("UBND TỈNH QUẢNG NAM", "SỞ GIAO THÔNG VẬN TẢI", "SGTVT", "Tam Kỳ", "049"),
    ("UBND THÀNH PHỐ CẦN THƠ", "SỞ LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI", "SLĐTBXH", "Cần Thơ", "092"),
    ("UBND HUYỆN GIA LÂM", "ỦY BAN NHÂN DÂN XÃ ĐA TỐN", "UBND", "Gia Lâm", "001"),
    ("UBND TỈNH KHÁNH HÒA", "SỞ CÔNG THƯƠNG", "SCT", "Khánh Hòa", "056"),
    ("UBND HUYỆN ĐÔNG ANH", "ỦY BAN NHÂN DÂN XÃ UY NỖ", "UBND", "Đông Anh", "001"),
    ("UBND QUẬN 1", "ỦY BAN NHÂN DÂN PHƯỜNG BẾN NGHÉ", "UBND", "Thành phố Hồ Chí Minh", "079"),
    ("UBND TỈNH NGHỆ AN", "ỦY BAN NHÂN DÂN HUYỆN NGHĨA ĐÀN", "UBND", "Nghĩa Đàn", "040"),
    ("UBND TỈNH LÂM ĐỒNG", "SỞ NÔNG NGHIỆP VÀ PHÁT TRIỂN NÔNG THÔN", "SNNPTNT", "Lâm Đồng", "068"),
    ("UBND TỈNH HẢI DƯƠNG", "SỞ GIÁO DỤC VÀ ĐÀO TẠO", "SGDĐT", "Hải Dương", "030"),
    ("UBND THÀNH PHỐ ĐÀ NẴNG", "SỞ NỘI VỤ", "SNV", "Đà Nẵng", "048"),
]
# (title, abbreviation, subjects, kind)
TYPES = [
    ("QUYẾT ĐỊNH", "QĐ", ["Về việc cấp giấy phép xây dựng nhà ở riêng lẻ",
                          "Về việc phê duyệt danh sách hộ được hỗ trợ",
                          "Về việc công nhận kết quả thẩm định hồ sơ"], "decision"),
    ("GIẤY CHỨNG NHẬN", "GCN", ["Đăng ký hộ kinh doanh", "Đủ điều kiện an toàn thực phẩm"], "certificate"),
    ("GIẤY PHÉP", "GP", ["Hoạt động kinh doanh dịch vụ lữ hành nội địa", "Lái xe hạng B2"], "licence"),
    ("THÔNG BÁO", "TB", ["Về việc tiếp nhận hồ sơ đăng ký", "Kết quả giải quyết thủ tục hành chính"], "notice"),
    ("GIẤY XÁC NHẬN", "GXN", ["Về tình trạng hôn nhân", "Về nơi cư trú của công dân"], "certificate"),
]
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"]
MIDDLE = ["Văn", "Thị", "Minh", "Quốc", "Thu", "Hữu", "Ngọc", "Đức", "Thanh", "Bích"]
GIVEN = ["An", "Bình", "Châu", "Dũng", "Hà", "Hạnh", "Khoa", "Lụa", "Nhung", "Phúc", "Quyết",
         "Sơn", "Thảo", "Tuấn", "Việt", "Yến", "Đạt", "Thắm", "Hưng", "Lộc"]
STREETS = ["Lý Thường Kiệt", "Trần Hưng Đạo", "Nguyễn Trãi", "Lê Lợi", "Hai Bà Trưng", "Phan Đình Phùng"]
PREAMBLE = [
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;",
    "Căn cứ Nghị định số 45/2020/NĐ-CP ngày 08 tháng 4 năm 2020 của Chính phủ về thực hiện thủ tục hành chính trên môi trường điện tử;",
    "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác văn thư;",
    "Xét đề nghị của Trưởng phòng Hành chính và hồ sơ kèm theo, thấy đủ điều kiện theo quy định.",
]
DUTIES = [
    "Điều 2. Người được cấp có trách nhiệm thực hiện đúng nội dung ghi trong văn bản này và chịu trách nhiệm trước pháp luật về tính chính xác của hồ sơ đã nộp.",
    "Điều 3. Quyết định này có hiệu lực kể từ ngày ký. Chánh Văn phòng, Thủ trưởng các cơ quan, đơn vị có liên quan và người có tên tại Điều 1 chịu trách nhiệm thi hành.",
    "Các phòng chuyên môn theo dõi, kiểm tra việc thực hiện; trong quá trình thực hiện nếu có vướng mắc, báo cáo về cơ quan cấp để được hướng dẫn, chỉ đạo giải quyết kịp thời.",
    "Ban chỉ đạo ghi nhận tinh thần trách nhiệm, sự tận tâm của cán bộ và nhân dân địa phương trong việc thực hiện thủ tục trên môi trường điện tử.",
]
# Province codes of the 12-digit personal identification number (Circular 59/2021).
PROVINCES = ["001", "002", "004", "006", "008", "010", "011", "012", "014", "015", "017", "019",
             "020", "022", "024", "025", "026", "027", "030", "031", "033", "034", "035", "036",
             "037", "038", "040", "042", "044", "045", "046", "048", "049", "051", "052", "054",
             "056", "058", "060", "062", "064", "066", "067", "068", "070", "072", "074", "075",
             "077", "079", "080", "082", "083", "084", "086", "087", "089", "091", "092", "093",
             "094", "095", "096"]
SIGNERS = [("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"), ("GIÁM ĐỐC", None), ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"),
           ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"), ("TL. GIÁM ĐỐC", "TRƯỞNG PHÒNG")]

INK = (25, 22, 20)
RED = (205, 35, 40)
BLUE = (30, 50, 170)


def nfc(s):
    return unicodedata.normalize("NFC", s)


def person(rng):
    return f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def personal_id(rng, province):
    code = province if rng.random() < 0.6 else rng.choice(PROVINCES)
    return code + rng.choice("0123") + f"{rng.randint(50, 99):02d}" + f"{rng.randint(0, 999999):06d}"


class Page:
    """An A4 page at `dpi`, drawn in colour; keeps every black text line for the truth."""

    def __init__(self, dpi, family, rng):
        self.dpi, self.family, self.rng = dpi, family, rng
        self.w, self.h = int(210 / 25.4 * dpi), int(297 / 25.4 * dpi)
        self.img = Image.new("RGB", (self.w, self.h), (255, 255, 255))
        self.draw = ImageDraw.Draw(self.img)
        self.left, self.right = self.mm(30), self.w - self.mm(15)
        self.truth = []
        self.fonts = {}

    def mm(self, v):
        return int(v / 25.4 * self.dpi)

    def font(self, size_pt, style="r"):
        key = (size_pt, style)
        if key not in self.fonts:
            self.fonts[key] = ImageFont.truetype(font_path(self.family, style), int(size_pt * self.dpi / 72))
        return self.fonts[key]

    def text(self, x, y, s, size, style="r", anchor="la", colour=INK, truth=True):
        s = nfc(s)
        self.draw.text((x, y), s, font=self.font(size, style), fill=colour, anchor=anchor)
        if truth:
            self.truth.append(s)

    def width(self, s, size, style="r"):
        return self.draw.textlength(nfc(s), font=self.font(size, style))

    def line_height(self, size):
        return int(size * self.dpi / 72 * 1.35)

    def wrap(self, s, size, style, width, indent=0):
        words, lines, cur = s.split(), [], ""
        for word in words:
            trial = (cur + " " + word).strip()
            limit = width - (indent if not lines else 0)
            if cur and self.width(trial, size, style) > limit:
                lines.append(cur)
                cur = word
            else:
                cur = trial
        if cur:
            lines.append(cur)
        return lines

    def paragraph(self, y, s, size, style="r", indent_mm=10):
        indent = self.mm(indent_mm)
        for i, line in enumerate(self.wrap(s, size, style, self.right - self.left, indent)):
            self.text(self.left + (indent if i == 0 else 0), y, line, size, style)
            y += self.line_height(size)
        return y


def header(page, rng, parent, agency, number, place_date):
    """The two header columns, sharing lines, then `Số:` and the place-date line."""
    size = rng.choice([12, 13])
    col_l = (page.mm(20), page.mm(20) + page.mm(80))
    col_r = (page.mm(95), page.right + page.mm(5))
    cx_l, cx_r = sum(col_l) / 2, sum(col_r) / 2
    y0 = page.mm(15) + rng.randint(0, page.mm(4))
    lh = page.line_height(size)
    # The two columns are cells of one table: nothing in the left one runs into the
    # motto, so a long name wraps (as a typist's table cell wraps it).
    # A wide name moves the columns apart (toward the paper's edges) before it wraps.
    motto = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    motto_half = page.width(motto, size, "b") / 2
    room = col_l[1] - col_l[0] - page.mm(6)
    widest = min(room, max(page.width(parent, size, "r"), page.width(agency, size, "b")))
    short = widest / 2 + page.mm(4) + motto_half - (cx_r - cx_l)
    if short > 0:
        moved = min(short, page.w - page.mm(8) - motto_half - cx_r)
        cx_r += moved
        cx_l -= min(short - moved, cx_l - page.mm(10) - widest / 2)
    room = min(room, 2 * (cx_r - motto_half - page.mm(4) - cx_l))
    # Left: parent body, then the agency in bold (wrapped onto two lines when long).
    left_lines = [(part, "r") for part in page.wrap(parent, size, "r", room)]
    for part in page.wrap(agency, size, "b", room):
        left_lines.append((part, "b"))
    right_lines = [(motto, "b", size), ("Độc lập - Tự do - Hạnh phúc", "b", size + 1)]
    rows = max(len(left_lines), len(right_lines))
    for i in range(rows):
        y = y0 + i * lh
        if i < len(left_lines):
            t, st = left_lines[i]
            page.text(cx_l, y, t, size, st, anchor="ma")
        if i < len(right_lines):
            t, st, sz = right_lines[i]
            page.text(cx_r, y, t, sz, st, anchor="ma")
    # Rules under the agency and under the motto.
    rule_y_l = y0 + len(left_lines) * lh + page.mm(1)
    rule_y_r = y0 + len(right_lines) * lh + page.mm(1)
    page.draw.line((cx_l - page.mm(12), rule_y_l, cx_l + page.mm(12), rule_y_l), fill=INK, width=max(2, page.dpi // 120))
    half = page.width("Độc lập - Tự do - Hạnh phúc", size + 1, "b") / 2
    page.draw.line((cx_r - half, rule_y_r, cx_r + half, rule_y_r), fill=INK, width=max(2, page.dpi // 120))
    y = y0 + rows * lh + page.mm(4)
    page.text(cx_l, y, f"Số: {number}", size, "r", anchor="ma")
    # The place-date line stays in its cell: right of the number and on the paper, in a
    # smaller size when a long place name needs it.
    number_right = cx_l + page.width(f"Số: {number}", size) / 2 + page.mm(5)
    edge = page.w - page.mm(10)
    date_size = size + 1
    while date_size > 11 and page.width(place_date, date_size, "i") > edge - number_right:
        date_size -= 1
    half = page.width(place_date, date_size, "i") / 2
    x = min(max(cx_r, number_right + half), edge - half)
    page.text(x, y, place_date, date_size, "i", anchor="ma")
    return y + lh + page.mm(6)


def ink(img, colour, alpha, at):
    """Coloured ink over what is printed: it darkens, as ink does (black text under a
    seal stays black), with `alpha` saying how much ink took."""
    x, y = at
    box = (x, y, x + alpha.width, y + alpha.height)
    region = img.crop(box)
    tint = Image.composite(Image.new("RGB", alpha.size, colour), Image.new("RGB", alpha.size, (255, 255, 255)), alpha)
    img.paste(ImageChops.multiply(region, tint), box)


def seal(page, cx, cy, radius, lettering, rng):
    """A red round seal: two rings, lettering around, a star, semi-transparent ink."""
    d = radius * 2 + 8
    layer = Image.new("L", (d, d), 0)
    draw = ImageDraw.Draw(layer)
    c = d / 2
    ring = max(3, radius // 22)
    draw.ellipse((c - radius, c - radius, c + radius, c + radius), outline=255, width=ring)
    inner = radius * 0.68
    draw.ellipse((c - inner, c - inner, c + inner, c + inner), outline=255, width=max(2, ring // 2))
    # Star in the middle.
    pts = []
    for k in range(10):
        r = inner * (0.45 if k % 2 == 0 else 0.18)
        a = -math.pi / 2 + k * math.pi / 5
        pts.append((c + r * math.cos(a), c + r * math.sin(a)))
    draw.polygon(pts, fill=255)
    # Lettering around the ring, each glyph turned to face outwards.
    font = ImageFont.truetype(font_path("liberation-serif", "b"), max(10, int(radius * 0.2)))
    text = nfc(lettering)
    span = 1.75 * math.pi
    for i, ch in enumerate(text):
        a = -math.pi / 2 - span / 2 + span * (i + 0.5) / len(text)
        g = Image.new("L", (font.size * 2, font.size * 2), 0)
        ImageDraw.Draw(g).text((font.size, font.size), ch, font=font, fill=255, anchor="mm")
        g = g.rotate(-math.degrees(a) - 90, resample=Image.BICUBIC)
        r = (radius + inner) / 2
        x, y = c + r * math.cos(a) - g.width / 2, c + r * math.sin(a) - g.height / 2
        layer.paste(255, (int(x), int(y)), g)
    # Ink is uneven: some of it did not take.
    noise = Image.effect_noise((d, d), 80).point(lambda v: 255 if v > 70 else 120)
    layer = ImageChops.multiply(layer, noise).filter(ImageFilter.GaussianBlur(0.7))
    alpha = layer.point(lambda v: int(v * rng.uniform(0.7, 0.9)))
    ink(page.img, RED, alpha, (int(cx - c), int(cy - c)))


def signature(page, x, y, w, h, rng):
    """A blue ink signature: a few smooth strokes."""
    layer = Image.new("L", page.img.size, 0)
    draw = ImageDraw.Draw(layer)
    width = max(2, page.dpi // 90)
    for _ in range(rng.randint(2, 3)):
        pts = []
        x0, y0 = x + rng.uniform(0, w * 0.3), y + rng.uniform(h * 0.3, h * 0.8)
        for k in range(40):
            t = k / 39
            pts.append((x0 + t * w * rng.uniform(0.6, 0.8) + math.sin(t * 9 + rng.random()) * w * 0.06,
                        y0 + math.sin(t * rng.uniform(5, 11)) * h * 0.35 - t * h * 0.2))
        draw.line(pts, fill=255, width=width, joint="curve")
    ink(page.img, BLUE, layer.filter(ImageFilter.GaussianBlur(0.6)), (0, 0))


def table(page, y, people, size):
    """A ruled table: STT, Họ và tên, Số định danh, Ghi chú."""
    cols = [page.mm(12), page.mm(58), page.mm(50), page.right - page.left - page.mm(120)]
    heads = ["STT", "Họ và tên", "Số định danh", "Ghi chú"]
    rh = page.line_height(size) + page.mm(3)
    lw = max(2, page.dpi // 150)
    rows = [heads] + [[str(i + 1), n, pid, note] for i, (n, pid, note) in enumerate(people)]
    for r, row in enumerate(rows):
        x = page.left
        for c, cell in enumerate(row):
            page.draw.rectangle((x, y, x + cols[c], y + rh), outline=INK, width=lw)
            if cell:
                page.text(x + page.mm(2), y + page.mm(1.5), cell, size, "b" if r == 0 else "r")
            x += cols[c]
        y += rh
    return y + page.mm(5)


def draw_result(rng, dpi, family, wrong_type=False):
    parent, agency, abbr, place, province = rng.choice(AGENCIES)
    title, type_abbr, subjects, kind = rng.choice(TYPES)
    if wrong_type:
        # A clerk's slip: the number carries another type's abbreviation.
        type_abbr = rng.choice([t[1] for t in TYPES if t[1] != type_abbr])
    subject = rng.choice(subjects)
    number_n = rng.randint(5, 4999)
    year = rng.randint(2016, 2025)
    day, month = rng.randint(1, 28), rng.randint(1, 12)
    number = f"{number_n}/{type_abbr}-{abbr}"
    if rng.random() < 0.25:
        number = f"{number_n}/{year}/{type_abbr}-{abbr}"
    date_text = f"{place}, ngày {day:02d} tháng {month} năm {year}" if rng.random() < 0.5 \
        else f"{place}, ngày {day:02d} tháng {month:02d} năm {year}"
    page = Page(dpi, family, rng)
    y = header(page, rng, parent, agency, number, date_text)
    size = rng.choice([13, 14])
    cx = (page.left + page.right) / 2
    page.text(cx, y, title, size + 1, "b", anchor="ma")
    y += page.line_height(size + 1)
    if kind in ("decision", "notice"):
        page.text(cx, y, subject, size, "b", anchor="ma")
    else:
        page.text(cx, y, subject, size, "b", anchor="ma")
    y += page.line_height(size) + page.mm(5)
    holder = person(rng)
    pid = personal_id(rng, province)
    ids = [pid]
    street = rng.choice(STREETS)
    if kind == "decision":
        page.text(cx, y, f"GIÁM ĐỐC {agency}" if agency.startswith("SỞ") else f"CHỦ TỊCH {agency}", size, "b", anchor="ma")
        y += page.line_height(size) + page.mm(2)
        for p in rng.sample(PREAMBLE, rng.randint(2, 4)):
            y = page.paragraph(y, p, size, "i")
        page.text(cx, y, "QUYẾT ĐỊNH:", size, "b", anchor="ma")
        y += page.line_height(size) + page.mm(1)
        y = page.paragraph(y, f"Điều 1. Cấp cho ông/bà {holder}, số định danh cá nhân {pid}, "
                              f"thường trú tại số {rng.randint(1, 300)} đường {street}, {place}.", size)
    else:
        page.text(page.left + page.mm(10), y, f"Cấp cho ông/bà: {holder}", size)
        y += page.line_height(size)
        page.text(page.left + page.mm(10), y, f"Số định danh cá nhân: {pid}", size)
        y += page.line_height(size)
        page.text(page.left + page.mm(10), y, f"Ngày sinh: {rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1950, 2004)}", size)
        y += page.line_height(size)
        y = page.paragraph(y, f"Nơi thường trú: số {rng.randint(1, 300)} đường {street}, {place}.", size, indent_mm=10)
    if rng.random() < 0.4:
        people = [(holder, pid, "Chủ hộ")]
        for _ in range(rng.randint(1, 3)):
            other = personal_id(rng, province)
            ids.append(other)
            people.append((person(rng), other, ""))
        y += page.mm(2)
        y = table(page, y, people, size - 1)
    for p in rng.sample(DUTIES, rng.randint(1, 2)):
        y = page.paragraph(y, p, size)
    # Bottom: Nơi nhận on the left, signer on the right.
    y = max(y + page.mm(6), page.h - page.mm(95))
    small = rng.choice([11, 12])
    page.text(page.left, y, "Nơi nhận:", small, "bi")
    ly = y + page.line_height(small)
    for r in ["- Như Điều 3;", f"- UBND {place};", "- Lưu: VT."]:
        page.text(page.left, ly, r, small - 1 if small == 12 else small)
        ly += page.line_height(small)
    signer_title, signer_sub = rng.choice(SIGNERS)
    sx = page.mm(145)
    page.text(sx, y, signer_title, size, "b", anchor="ma")
    sy = y + page.line_height(size)
    if signer_sub:
        page.text(sx, sy, signer_sub, size, "b", anchor="ma")
        sy += page.line_height(size)
    signer = person(rng)
    name_y = sy + page.mm(30)
    signature(page, sx - page.mm(18), sy + page.mm(4), page.mm(40), page.mm(20), rng)
    seal(page, sx - page.mm(14) + rng.randint(-page.mm(3), page.mm(3)), sy + page.mm(14),
         page.mm(rng.uniform(17, 20)), f"{agency} * {parent.replace('UBND', 'ỦY BAN')}", rng)
    page.text(sx, name_y, signer, size, "b", anchor="ma")
    fields = {
        "type": title, "number": number, "date": f"{year:04d}-{month:02d}-{day:02d}", "place": place,
        "issuer": agency, "parent": parent, "personal_ids": ",".join(ids), "owner_id": pid,
        "signer_title": signer_title + (f" {signer_sub}" if signer_sub else ""), "signer_name": signer,
    }
    return page, fields


def yellowed(size, rng):
    tint = (rng.randint(236, 250), rng.randint(228, 242), rng.randint(200, 225))
    return Image.new("RGB", size, tint)


def scan(page, rng, back, straight=False, upright=False):
    """Paper, show-through, holes, fold, light, skew, border, turn, noise."""
    img = page.img
    w, h = img.size
    # Yellowed paper: the ink multiplies onto it.
    paper = yellowed(img.size, rng)
    img = ImageChops.multiply(img, paper)
    # Show-through: the back page, mirrored, faint.
    ghost = back.img.transpose(Image.FLIP_LEFT_RIGHT).convert("L").filter(ImageFilter.GaussianBlur(2))
    strength = rng.uniform(0.06, 0.16)
    ghost = ghost.point(lambda v: int(255 - (255 - v) * strength))
    img = ImageChops.multiply(img, Image.merge("RGB", [ghost] * 3))
    draw = ImageDraw.Draw(img)
    # Punch holes at the left margin.
    if rng.random() < 0.6:
        r = page.mm(3)
        for cy in (h / 2 - page.mm(40), h / 2 + page.mm(40)):
            cx = page.mm(10)
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(rng.randint(20, 70),) * 3)
    # A fold line across the middle.
    if rng.random() < 0.4:
        fy = int(h * rng.uniform(0.45, 0.55))
        band = page.mm(2)
        for dy in range(-band, band):
            k = 1 - 0.25 * (1 - abs(dy) / band)
            box = (0, fy + dy, w, fy + dy + 1)
            img.paste(img.crop(box).point(lambda v, k=k: int(v * k)), box)
    # Uneven light.
    dark = rng.uniform(0.75, 0.95)
    ramp = Image.linear_gradient("L").resize((w, h))
    if rng.random() < 0.5:
        ramp = ramp.rotate(90, expand=True).resize((w, h))
    light = ramp.point(lambda v: int(255 * (1 - (1 - dark) * v / 255)))
    img = ImageChops.multiply(img, Image.merge("RGB", [light] * 3))
    # Skew, with the scanner's border showing around the turned sheet.
    angle = 0.0 if rng.random() < 0.25 else round(rng.uniform(-10, 10), 2)
    if abs(angle) < 0.5 and rng.random() < 0.5:
        angle = round(rng.uniform(-0.8, 0.8), 2)
    if straight:
        angle = 0.0
    border = (rng.randint(30, 140),) * 3
    # The whole sheet stays on the image (a bed larger than the sheet, or a scanner that
    # crops to the sheet): the truth files hold every word, so every word must be there.
    img = img.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=border)
    w, h = img.size
    # A dark band where the lid did not meet the glass.
    edge = page.mm(rng.uniform(1, 4))
    side = rng.choice(["top", "left", "right", "bottom"])
    box = {"top": (0, 0, w, edge), "bottom": (0, h - edge, w, h), "left": (0, 0, edge, h), "right": (w - edge, 0, w, h)}[side]
    ImageDraw.Draw(img).rectangle(box, fill=border)
    turn = 180 if rng.random() < 0.1 and not (straight or upright) else 0
    if turn:
        img = img.rotate(180)
    noise = Image.effect_noise(img.size, rng.uniform(6, 14)).convert("RGB")
    img = Image.blend(img, noise, rng.uniform(0.02, 0.06))
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.8 if page.dpi == 300 else 0.5)))
    return img, angle, turn


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--count", type=int, default=4)
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--dpi", type=int, help="one resolution for all pages (default: 200 or 300)")
    ap.add_argument("--format", choices=["jpg", "png", "tif"], help="one format for all pages")
    ap.add_argument("--straight", action="store_true", help="no skew and no turn")
    ap.add_argument("--upright", action="store_true", help="skew, but never fed upside down")
    ap.add_argument("--wrong-type", action="store_true",
                    help="numbers carry another type's abbreviation than the heading's (a slip the gate must hold)")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    for i in range(args.count):
        dpi = args.dpi or rng.choice([200, 300, 300])
        family = rng.choice(["liberation-serif", "liberation-serif", "dejavu-serif"])
        page, fields = draw_result(rng, dpi, family, args.wrong_type)
        back, _ = draw_result(rng, dpi, family)
        img, angle, turn = scan(page, rng, back, args.straight, args.upright)
        fmt = args.format or rng.choice(["jpg", "jpg", "png", "tif"])
        name = f"real-{i + 1:02d}"
        path = os.path.join(args.out, f"{name}.{fmt}")
        if fmt == "jpg":
            img.save(path, quality=rng.randint(55, 90), dpi=(dpi, dpi))
        elif fmt == "png":
            img.save(path, dpi=(dpi, dpi))
        else:
            img.save(path, compression="tiff_deflate", dpi=(dpi, dpi))
        with open(os.path.join(args.out, f"{name}.gt.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(page.truth) + "\n")
        fields.update({"dpi": dpi, "font": family, "skew_ccw": angle, "turn_ccw": turn})
        with open(os.path.join(args.out, f"{name}.fields.txt"), "w", encoding="utf-8") as f:
            f.write("".join(f"{k}={v}\n" for k, v in fields.items()))
    print(f"{args.count} pages in {args.out}")


if __name__ == "__main__":
    main()
