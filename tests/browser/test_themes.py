"""Each council looks like itself in Chromium: its colour in the header, its wordmark drawn whole and
undistorted, from a 320px phone up."""

from io import BytesIO

import pytest
from PIL import Image

from tests.browser.conftest import THEME_SLUGS, THEMES

# Every drawn shape's box, widened by half its stroke, against the SVG's viewBox.
_SHAPES_OUTSIDE_VIEWBOX_JS = """
() => {
  const svg = document.documentElement;
  const view = svg.viewBox.baseVal;
  const outside = [];
  for (const shape of svg.querySelectorAll('text, path, circle, rect, ellipse, line, polygon, polyline')) {
    const box = shape.getBBox();
    const style = getComputedStyle(shape);
    const stroke = style.stroke === 'none' ? 0 : parseFloat(style.strokeWidth) / 2;
    const right = box.x + box.width + stroke, bottom = box.y + box.height + stroke;
    if (box.x - stroke < view.x || box.y - stroke < view.y
        || right > view.x + view.width || bottom > view.y + view.height) {
      outside.push(`${shape.tagName} "${shape.textContent.trim()}" ${box.x},${box.y} to ${right},${bottom}` +
                   ` outside ${view.width}x${view.height}`);
    }
  }
  return outside;
}
"""


@pytest.mark.parametrize("slug", THEME_SLUGS)
def test_the_wordmark_is_drawn_inside_its_box(shared_page, council_url, slug):
    shared_page.goto(council_url(slug))
    wordmark_url = shared_page.locator(".portal-header__wordmark").get_attribute("src")
    response = shared_page.goto(council_url(slug, wordmark_url))
    assert response and response.ok and response.headers["content-type"].startswith("image/svg+xml")
    assert shared_page.evaluate(_SHAPES_OUTSIDE_VIEWBOX_JS) == []


@pytest.mark.parametrize("slug", THEME_SLUGS)
def test_the_header_shows_the_whole_wordmark_undistorted_at_320px(shared_page, council_url, slug):
    shared_page.set_viewport_size({"width": 320, "height": 640})
    shared_page.goto(council_url(slug))
    wordmark = shared_page.evaluate(
        """() => {
          const image = document.querySelector('.portal-header__wordmark');
          const box = image.getBoundingClientRect();
          return {natural: image.naturalWidth / image.naturalHeight, shown: box.width / box.height,
                  left: box.left, right: box.right, height: box.height, complete: image.complete};
        }"""
    )
    assert wordmark["complete"] and wordmark["natural"] > 0
    assert wordmark["shown"] == pytest.approx(wordmark["natural"], rel=0.02), "the wordmark is squashed"
    assert wordmark["left"] >= 0 and wordmark["right"] <= 320
    assert wordmark["height"] >= 32, "the wordmark is too small to read"


@pytest.mark.parametrize("slug", THEME_SLUGS)
def test_the_header_is_in_the_councils_colour(shared_page, council_url, slug):
    shared_page.goto(council_url(slug))
    primary = THEMES.get(slug).brand.primary
    red, green, blue = (int(primary[i : i + 2], 16) for i in (1, 3, 5))
    assert (
        shared_page.evaluate(
            "getComputedStyle(document.querySelector('.portal-header__bar')).backgroundColor"
        )
        == f"rgb({red}, {green}, {blue})"
    )


def test_no_two_councils_share_a_header_colour_or_wordmark():
    assert len({theme.brand.primary.lower() for theme in THEMES}) == len(THEMES)
    assert len({theme.wordmark_path.read_bytes() for theme in THEMES}) == len(THEMES)


@pytest.mark.parametrize("slug", THEME_SLUGS)
def test_the_wordmark_stays_legible_when_its_link_has_focus(shared_page, council_url, slug):
    """Focus turns the link yellow; a white wordmark would vanish on it, so it must turn dark."""
    shared_page.goto(council_url(slug))
    home = shared_page.locator(".portal-header__home")
    home.focus()
    image = Image.open(BytesIO(home.screenshot())).convert("L")
    dark = sum(image.histogram()[:80])
    assert dark / (image.width * image.height) > 0.05, (
        "the focused wordmark does not show on the focus colour"
    )
