"""A customer's own words in a reply: the quoted earlier messages cut off by quotequail, which
knows the reply headers of Gmail, Outlook and Apple Mail in English, German, French, Spanish,
Dutch, Swedish and Portuguese, in plain text and in HTML."""

import lxml.html
import quotequail

# Elements after which a line ends when HTML is read as text.
BLOCKS = {"p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table"}


def latest_reply(text: str, html: str = "") -> str:
    """The newest message of a reply; the plain-text part when there is one, else the HTML."""
    text = text.replace("\r\n", "\n").strip()
    if text:
        unwrapped = quotequail.unwrap(text)
        return (unwrapped or {}).get("text_top", text).strip()
    if not html.strip():
        return ""
    unwrapped = quotequail.unwrap_html(html)
    return html_text((unwrapped or {}).get("html_top", html))


def html_text(html: str) -> str:
    """What a reader sees of an HTML fragment, with its line breaks; scripts and styles dropped."""
    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):  # empty or only a comment
        return ""
    for hidden in tree.xpath("//script|//style|//head"):
        hidden.drop_tree()
    for element in tree.iter():
        if element.tag == "br" or element.tag in BLOCKS:
            element.tail = "\n" + (element.tail or "")
    lines = (line.strip() for line in tree.text_content().splitlines())
    return "\n".join(line for line in lines if line).strip()
