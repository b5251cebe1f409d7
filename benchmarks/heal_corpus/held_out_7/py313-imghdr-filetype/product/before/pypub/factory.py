"""
Chapter Rendering Factory Implementation
"""
import os
import re
import urllib.parse
from dataclasses import dataclass, field
from logging import Logger, getLogger
from typing import Callable, Dict, Optional

import imghdr

from .chapter import Chapter

#** Variables **#
__all__ = [
    'mime_type',
    'render_images',

    'RenderCtx',
]

#: <img ... src="..."> in chapter content
IMG_SRC = re.compile(r'(<img\b[^>]*?\bsrc=")([^"]+)(")', re.IGNORECASE)

#** Functions **#

def mime_type(url: str, data: bytes) -> Optional[str]:
    """
    determine mimetype of the given file w/ first chunk of data

    :param url:  download url
    :param data: first n-bytes of file
    :return:     determined mime-type (if found)
    """
    mime = imghdr.what(None, h=data)
    if mime is not None:
        return mime
    # backport new jpeg logic from 3.11 for older versions
    if data[:4] == b'\xff\xd8\xff\xdb':
        return 'jpeg'
    # support svg images
    if url.endswith('svg') and b'<svg' in data:
        return 'svg'

def render_images(ctx: 'RenderCtx', chunk_size: int = 8192) -> str:
    """
    replace global image references w/ local downloaded ones

    :return: the chapter content w/ rewritten image sources
    """
    downloads: Dict[str, str] = {}
    def replace(match: 're.Match') -> str:
        url = match.group(2).rsplit('?', 1)[0]
        if '://' not in url:
            if not ctx.chapter.url:
                ctx.logger.warning('chapter[%s] cannot render image %r w/o chapter-url', ctx.chapter.title, url)
                return match.group(0)
            url = urllib.parse.urljoin(ctx.chapter.url, url)
        # skip if url has already been downloaded
        if url not in downloads:
            data = ctx.fetch(url)
            mime = mime_type(url, data[:chunk_size])
            if not mime:
                ctx.logger.warning('chapter[%s] cannot identify %r mime', ctx.chapter.title, url)
                return match.group(0)
            fname = f'image-{len(downloads) + 1:03d}.{mime}'
            with open(os.path.join(ctx.imagedir, fname), 'wb') as f:
                f.write(data)
            downloads[url] = os.path.join(os.path.basename(ctx.imagedir), fname)
        return match.group(1) + downloads[url] + match.group(3)
    return IMG_SRC.sub(replace, ctx.chapter.content)

#** Classes **#

@dataclass
class RenderCtx:
    """chapter rendering context: where images go and how they are fetched"""
    chapter:  Chapter
    imagedir: str
    fetch:    Callable[[str], bytes]
    logger:   Logger = field(default_factory=lambda: getLogger('pypub'))
