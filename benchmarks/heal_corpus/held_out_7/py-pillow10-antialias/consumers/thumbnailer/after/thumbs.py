"""Thumbnails and contact sheets for a photo folder."""
from PIL import Image


def make_thumbnail(src, dst, box=(128, 128)):
    """Shrink src to fit in box (keeping its aspect ratio) and save it as JPEG."""
    with Image.open(src) as im:
        im = im.convert("RGB")
        im.thumbnail(box, Image.LANCZOS)
        im.save(dst, "JPEG", quality=85)
        return im.size


def contact_sheet(paths, dst, cols=3, cell=(64, 64), gap=4):
    """Paste every image, squashed to cell, on a grid."""
    rows = (len(paths) + cols - 1) // cols
    sheet = Image.new("RGB", (cols * (cell[0] + gap) + gap, rows * (cell[1] + gap) + gap), "white")
    for i, path in enumerate(paths):
        with Image.open(path) as im:
            tile = im.convert("RGB").resize(cell, resample=Image.LANCZOS)
        x = gap + (i % cols) * (cell[0] + gap)
        y = gap + (i // cols) * (cell[1] + gap)
        sheet.paste(tile, (x, y))
    sheet.save(dst)
    return sheet.size
