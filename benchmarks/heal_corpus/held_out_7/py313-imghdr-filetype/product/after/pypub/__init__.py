"""
Build epub books from chapters of html
"""
from .chapter import Chapter
from .factory import RenderCtx, mime_type, render_images

__all__ = ['Chapter', 'RenderCtx', 'mime_type', 'render_images']
