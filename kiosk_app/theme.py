"""Colours and sizes for the kiosk, as one Qt style sheet: normal or high contrast, normal or
large text. NHS colours; every pair used for text passes WCAG AA (high contrast: AAA)."""

from __future__ import annotations

from dataclasses import dataclass

# Text sizes in pixels: (normal, large).
SIZES = {"body": (28, 36), "title": (44, 56), "name": (56, 68), "number": (120, 140),
         "button": (30, 38), "key": (36, 44), "field": (44, 52), "header": (26, 28),
         "toggle": (24, 26)}

NORMAL = {"bg": "#f0f4f5", "text": "#212b32", "muted": "#4c6272", "header_bg": "#005eb8",
          "header_text": "#ffffff", "primary_bg": "#007f3b", "primary_text": "#ffffff",
          "primary_pressed": "#00401e", "secondary_bg": "#ffffff", "secondary_text": "#005eb8",
          "border": "#4c6272", "panel": "#ffffff", "callout_bg": "#fff9c4",
          "callout_border": "#ffeb3b", "callout_text": "#212b32", "active": "#ffeb3b",
          "active_text": "#212b32", "error": "#d5281b", "disabled_bg": "#aeb7bd",
          "disabled_text": "#212b32"}
CONTRAST = {"bg": "#000000", "text": "#ffffff", "muted": "#ffffff", "header_bg": "#000000",
            "header_text": "#ffffff", "primary_bg": "#ffff00", "primary_text": "#000000",
            "primary_pressed": "#ffffff", "secondary_bg": "#000000", "secondary_text": "#ffffff",
            "border": "#ffffff", "panel": "#000000", "callout_bg": "#000000",
            "callout_border": "#ffff00", "callout_text": "#ffff00", "active": "#ffff00",
            "active_text": "#000000", "error": "#ffff00", "disabled_bg": "#000000",
            "disabled_text": "#ffffff"}


@dataclass(frozen=True)
class Theme:
    """A text size and a colour scheme."""

    large: bool = False
    contrast: bool = False

    def size(self, role: str) -> int:
        """Pixel size of a text role."""
        return SIZES[role][1 if self.large else 0]

    def colour(self, name: str) -> str:
        """A colour by name."""
        return (CONTRAST if self.contrast else NORMAL)[name]

    def stylesheet(self) -> str:
        """The whole style sheet for the kiosk window."""
        c, s = self.colour, self.size
        return f"""
QWidget#kiosk {{ background: {c('bg')}; }}
QWidget {{ color: {c('text')}; font-family: "DejaVu Sans", "Liberation Sans", sans-serif;
          font-size: {s('body')}px; }}
QLabel {{ background: transparent; }}
QLabel[role="title"] {{ font-size: {s('title')}px; font-weight: bold; }}
QLabel[role="name"] {{ font-size: {s('name')}px; font-weight: bold; }}
QLabel[role="number"] {{ font-size: {s('number')}px; font-weight: bold; }}
QLabel[role="muted"] {{ color: {c('muted')}; }}
QLabel[role="error"] {{ color: {c('error')}; font-weight: bold; }}
QLabel[role="callout"] {{ background: {c('callout_bg')}; color: {c('callout_text')};
    border-left: 12px solid {c('callout_border')}; padding: 16px 24px; font-weight: bold; }}
QLabel[role="display"] {{ background: {c('panel')}; border: 3px solid {c('border')};
    font-family: "DejaVu Sans Mono", monospace; font-size: {s('field')}px; font-weight: bold;
    padding: 8px 24px; }}
QFrame#header {{ background: {c('header_bg')}; border-bottom: 4px solid {c('border')}; }}
QFrame#header QLabel {{ color: {c('header_text')}; font-size: {s('header')}px;
    font-weight: bold; }}
QPushButton {{ min-height: 64px; padding: 4px 28px; border-radius: 6px;
    font-size: {s('button')}px; font-weight: bold; }}
QPushButton[kind="primary"] {{ background: {c('primary_bg')}; color: {c('primary_text')};
    border: 4px solid {c('primary_bg')}; }}
QPushButton[kind="primary"]:pressed {{ background: {c('primary_pressed')}; }}
QPushButton[kind="secondary"], QPushButton[kind="key"], QPushButton[kind="field"] {{
    background: {c('secondary_bg')}; color: {c('secondary_text')};
    border: 4px solid {c('border')}; }}
QPushButton[kind="key"] {{ color: {c('text')}; font-size: {s('key')}px; min-height: 64px;
    padding: 0px; }}
QPushButton[kind="field"] {{ color: {c('text')}; font-size: {s('field')}px; min-height: 96px;
    font-family: "DejaVu Sans Mono", monospace; }}
QPushButton[kind="field"][active="true"] {{ background: {c('active')};
    color: {c('active_text')}; border: 6px solid {c('text')}; }}
QPushButton[kind="key"]:pressed, QPushButton[kind="secondary"]:pressed {{
    background: {c('active')}; color: {c('active_text')}; }}
QPushButton[kind="toggle"] {{ background: {c('header_bg')}; color: {c('header_text')};
    border: 3px solid {c('header_text')}; font-size: {s('toggle')}px; min-height: 64px;
    padding: 4px 20px; }}
QPushButton:disabled {{ background: {c('disabled_bg')}; color: {c('disabled_text')};
    border: 4px dashed {c('border')}; }}
"""
