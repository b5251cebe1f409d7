"""User avatars: a square crop of the uploaded photo, or the user's initials."""
from PIL import Image, ImageDraw, ImageFont
from PIL.Image import ANTIALIAS

SIZE = 96


def from_photo(path, size=SIZE):
    with Image.open(path) as im:
        side = min(im.size)
        left = (im.width - side) // 2
        top = (im.height - side) // 2
        square = im.crop((left, top, left + side, top + side)).convert("RGB")
    return square.resize((size, size), ANTIALIAS)


def initials(name, size=SIZE, bg=(52, 101, 164), fg=(255, 255, 255)):
    text = "".join(part[0] for part in name.split()[:2]).upper()
    img = Image.new("RGB", (size, size), bg)
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default()
    w, h = draw.textsize(text, font=font)
    draw.text(((size - w) / 2, (size - h) / 2), text, fill=fg, font=font)
    return img


def avatar(name, photo=None, size=SIZE):
    return from_photo(photo, size) if photo else initials(name, size)
