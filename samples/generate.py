#!/usr/bin/env python3
"""Generate scanned-looking Vietnamese administrative pages with ground-truth text.

Each page is an A4 result (a decision, a certificate, a licence...) rendered at a given
resolution in one of several fonts and sizes, then degraded like a scan: skew, rotation,
grey paper, noise, JPEG compression. Beside each image goes NAME.gt.txt with the exact
text drawn, one line per line, NFC.

    python3 samples/generate.py OUT_DIR [--count N] [--seed S] [--variants straight,skew3,...]

Variants: straight, skew3, skew8, skew15, rot90, rot180, rot270, noisy, jpeg, and
mixed: each page drawn at random like an archive box — skew uniform in ±15°, about
10 % turned 90/180/270°, grey paper and noise, blur, uneven light with a scanner shadow,
JPEG artifacts, 200 or 300 dpi, one of several fonts. For an evaluation the tuning has
not seen, use a seed the tests do not use:

    python3 samples/generate.py /tmp/eval --variants mixed --count 40 --seed 9413
Needs Pillow and the fonts-liberation2 / fonts-dejavu-core Debian packages.
"""

import argparse
import io
import os
import random
import unicodedata

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONTS = {
    "liberation-serif": "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
    "liberation-sans": "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
    "dejavu-serif": "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "dejavu-sans": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
}
BOLD = {
    "liberation-serif": "/usr/share/fonts/truetype/liberation2/LiberationSerif-Bold.ttf",
    "liberation-sans": "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf",
    "dejavu-serif": "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf",
    "dejavu-sans": "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
}

AGENCIES = [
    ("ỦY BAN NHÂN DÂN", "TỈNH BẮC NINH", "UBND"),
    ("SỞ KẾ HOẠCH VÀ ĐẦU TƯ", "THÀNH PHỐ HÀ NỘI", "SKHĐT"),
    ("ỦY BAN NHÂN DÂN", "PHƯỜNG ĐỒNG XUÂN", "UBND"),
    ("SỞ TƯ PHÁP", "TỈNH THỪA THIÊN HUẾ", "STP"),
]
PLACES = ["Bắc Ninh", "Hà Nội", "Huế", "Đà Nẵng", "Cần Thơ", "Hải Phòng"]
TYPES = [
    ("QUYẾT ĐỊNH", "QĐ", "Về việc cấp giấy phép xây dựng nhà ở riêng lẻ"),
    ("GIẤY CHỨNG NHẬN", "GCN", "Đăng ký hộ kinh doanh"),
    ("GIẤY PHÉP", "GP", "Hoạt động kinh doanh dịch vụ lữ hành nội địa"),
    ("GIẤY KHAI SINH", "KS", "Bản chính được cấp lại theo yêu cầu"),
]
NAMES = ["Nguyễn Văn An", "Trần Thị Bích Ngọc", "Lê Hoàng Đức", "Phạm Thị Hồng Nhung",
         "Đặng Quốc Việt", "Võ Thị Thu Hà", "Bùi Minh Tuấn", "Hoàng Thị Lụa"]
BODY = [
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;",
    "Căn cứ Nghị định số 45/2020/NĐ-CP ngày 08 tháng 4 năm 2020 của Chính phủ",
    "về thực hiện thủ tục hành chính trên môi trường điện tử;",
    "Xét đề nghị của Trưởng phòng Quản lý đô thị và hồ sơ kèm theo.",
    "Điều 1. Cấp cho ông (bà) {name}, số định danh cá nhân {pid},",
    "địa chỉ thường trú tại số {house} đường Lý Thường Kiệt, phường Đồng Xuân.",
    "Điều 2. Người được cấp phải thực hiện đúng nội dung ghi trong văn bản này",
    "và chịu trách nhiệm trước pháp luật về tính chính xác của hồ sơ đã nộp.",
    "Điều 3. Quyết định này có hiệu lực kể từ ngày ký. Chánh Văn phòng, Thủ trưởng",
    "các cơ quan, đơn vị có liên quan và người có tên tại Điều 1 chịu trách nhiệm thi hành.",
]

VARIANTS = ["straight", "skew3", "skew8", "skew15", "rot90", "rot180", "rot270", "noisy", "jpeg"]
TUNING_FONTS = ["dejavu-serif", "liberation-sans", "liberation-serif"]


def page_lines(rng):
    agency, locality, code = rng.choice(AGENCIES)
    title, type_code, subject = rng.choice(TYPES)
    number = rng.randint(12, 4999)
    year = rng.randint(2015, 2025)
    day, month = rng.randint(1, 28), rng.randint(1, 12)
    name = rng.choice(NAMES)
    # province code (Hà Nội, TP HCM, Bắc Ninh, Huế, Hải Phòng), century/sex digit, year, serial
    pid = rng.choice(["001", "079", "027", "046", "031"]) + rng.choice("0123") \
        + f"{rng.randint(0, 99):02d}" + f"{rng.randint(0, 999999):06d}"
    body = [b.format(name=name, pid=pid, house=rng.randint(1, 200)) for b in BODY]
    # (text, bold, centred)
    lines = [
        (agency, True, False),
        (locality, True, False),
        ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", True, True),
        ("Độc lập - Tự do - Hạnh phúc", True, True),
        (f"Số: {number}/{type_code}-{code}", False, False),
        (f"{rng.choice(PLACES)}, ngày {day:02d} tháng {month:02d} năm {year}", False, True),
        (title, True, True),
        (subject, False, True),
    ] + [(b, False, False) for b in body] + [
        ("CHỦ TỊCH", True, True),
        (name.upper() if rng.random() < 0.5 else name, True, True),
    ]
    return lines, {"owner_id": pid, "number": f"{number}/{type_code}-{code}", "type": title}


def render(lines, font_key, size_pt, dpi):
    w, h = int(8.27 * dpi), int(11.69 * dpi)
    img = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(img)
    px = int(size_pt * dpi / 72)
    regular = ImageFont.truetype(FONTS[font_key], px)
    bold = ImageFont.truetype(BOLD[font_key], px)
    margin_l, margin_r = int(1.1 * dpi), int(0.8 * dpi)
    y = int(0.9 * dpi)
    for text, is_bold, centred in lines:
        font = bold if is_bold else regular
        width = draw.textlength(text, font=font)
        if width > w - margin_l - margin_r:
            font = ImageFont.truetype((BOLD if is_bold else FONTS)[font_key],
                                      int(px * (w - margin_l - margin_r) / width))
            width = draw.textlength(text, font=font)
        x = (w - width) / 2 if centred else margin_l
        draw.text((x, y), text, font=font, fill=20)
        y += int(px * 1.9)
    return img


def degrade(img, variant, rng):
    """Returns the degraded image and the truth about it: the tilt (degrees counter-
    clockwise) and the quarter turn (degrees counter-clockwise) applied."""
    angle, turn = 0.0, 0
    if variant.startswith("skew"):
        angle = float(variant[4:]) * rng.choice([-1, 1])
        img = img.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=255)
    elif variant.startswith("rot"):
        turn = int(variant[3:])
        img = img.rotate(turn, expand=True)
    if variant in ("noisy", "jpeg"):
        # grey paper, speckle, slight blur
        img = img.point(lambda v: int(v * 0.85 + 20))
        noise = Image.effect_noise(img.size, 18)
        img = Image.blend(img, noise, 0.12)
        img = img.filter(ImageFilter.GaussianBlur(0.6))
    return img, angle, turn


def uneven_light(img, rng):
    """Light falling off across the page in a random direction, and a scanner's shadow
    along one edge (the spine of a bound register)."""
    w, h = img.size
    dark = rng.uniform(0.55, 0.8)
    horizontal = rng.random() < 0.5
    ramp = Image.linear_gradient("L").resize((w, h) if not horizontal else (h, w))
    if horizontal:
        ramp = ramp.rotate(90, expand=True)
    if rng.random() < 0.5:
        ramp = ramp.transpose(Image.FLIP_LEFT_RIGHT if horizontal else Image.FLIP_TOP_BOTTOM)
    light = ramp.point(lambda v: int(255 * (1 - (1 - dark) * v / 255)))
    lit = Image.composite(img, Image.new("L", img.size, 0), Image.new("L", img.size, 255))
    from PIL import ImageChops
    lit = ImageChops.multiply(lit, light)
    shadow = int(w * rng.uniform(0.02, 0.05))
    band = Image.linear_gradient("L").rotate(90, expand=True).resize((shadow, h))
    band = band.point(lambda v: int(90 + 165 * v / 255))
    region = lit.crop((0, 0, shadow, h))
    lit.paste(ImageChops.multiply(region, band), (0, 0))
    return lit


def mixed(lines, rng):
    """One archive-like page: returns the image, the dpi, the font, the size and the truth."""
    font = rng.choice(sorted(FONTS))
    size = rng.choice([11, 12, 13, 14])
    dpi = rng.choice([200, 300])
    img = render(lines, font, size, dpi)
    angle = round(rng.uniform(-15, 15), 2)
    img = img.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=255)
    turn = rng.choice([90, 180, 270]) if rng.random() < 0.1 else 0
    if turn:
        img = img.rotate(turn, expand=True)
    if rng.random() < 0.6:
        img = uneven_light(img, rng)
    grey = rng.uniform(0.8, 1.0)
    img = img.point(lambda v: int(v * grey + (1 - grey) * 120))
    noise = Image.effect_noise(img.size, rng.uniform(8, 25))
    img = Image.blend(img, noise, rng.uniform(0.04, 0.14))
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.2 if dpi == 300 else 0.8)))
    quality = rng.choice([None, 50, 65, 80])
    return img, dpi, font, size, angle, turn, quality


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--count", type=int, default=1, help="pages per variant")
    ap.add_argument("--seed", type=int, default=45)
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--dpi", type=int, default=300)
    ap.add_argument("--font", choices=sorted(FONTS), help="one font for all pages (default: rotate)")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    fonts = [args.font] if args.font else TUNING_FONTS
    n = 0
    for variant in args.variants.split(","):
        for i in range(args.count):
            lines, fields = page_lines(rng)
            name = f"{variant}-{i + 1:02d}"
            if variant == "mixed":
                img, dpi, font, size, angle, turn, quality = mixed(lines, rng)
            else:
                font = fonts[n % len(fonts)]
                size = rng.choice([12, 13, 14])
                dpi = args.dpi
                img, angle, turn = degrade(render(lines, font, size, dpi), variant, rng)
                quality = 70 if variant == "jpeg" else None
            ext = "jpg" if quality else "png"
            path = os.path.join(args.out, f"{name}.{ext}")
            if ext == "jpg":
                img.save(path, quality=quality, dpi=(dpi, dpi))
            else:
                img.save(path, optimize=True, dpi=(dpi, dpi))
            gt = "\n".join(unicodedata.normalize("NFC", t) for t, _, _ in lines) + "\n"
            with open(os.path.join(args.out, f"{name}.gt.txt"), "w", encoding="utf-8") as f:
                f.write(gt)
            with open(os.path.join(args.out, f"{name}.fields.txt"), "w", encoding="utf-8") as f:
                f.write("".join(f"{k}={v}\n" for k, v in fields.items())
                        + f"font={font}\nsize={size}\ndpi={dpi}\nskew_ccw={angle}\nturn_ccw={turn}\n")
            n += 1
    print(f"{n} pages in {args.out}")


if __name__ == "__main__":
    main()
