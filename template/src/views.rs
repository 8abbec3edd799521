//! HTML, written as leptos components and rendered to strings on the server (no WebAssembly).
//!
//! - [`layout`]: the document around every page: head, header, navigation, flash messages, footer.
//! - [`pages`]: one module per page, each a component taking plain data as props.
//! - [`components`]: pieces several pages share.
//!
//! Components take plain data (no database handles, no requests): handlers load what a page needs,
//! then render. That keeps views easy to test and ready to become interactive islands later.
//! Leptos escapes every string it inserts, except the text of a `<textarea>` (write those with
//! [`components::form::TextBox`], which escapes it); never use `inner_html` with user data.

pub mod components;
pub mod layout;
pub mod pages;

use std::sync::LazyLock;

use leptos::{
    prelude::{IntoView, Owner, RenderHtml},
    tachys::view::Position,
};
use memchr::memmem::Finder;

/// Room for a whole page from the start: growing the buffer as leptos writes costs more than
/// writing (leptos's own estimate is a fraction of a real page).
const PAGE_BYTES: usize = 16 * 1024;

/// Renders a view to an HTML string.
///
/// Rendering happens inside a fresh reactive [`Owner`], which components need for context and
/// signals; it is cheap and dropped when the string is done.
pub fn render(view: impl IntoView + 'static) -> String {
    let html = Owner::new().with(move || {
        let view = view.into_view();
        let mut html = String::with_capacity(view.html_len().max(PAGE_BYTES));
        view.to_html_with_buf(&mut html, &mut Position::FirstChild, true, false, vec![]);
        html
    });
    without_hydration_markers(html)
}

/// The HTML without the empty comments (`<!>`) leptos writes between neighbouring pieces of text
/// for its browser side to find them again. Nothing here runs leptos in the browser, and HTML
/// checkers count each one as an error ("bogus comment"). Removing them cannot touch what a
/// visitor wrote: leptos escapes every `<` of their text (in `<textarea>` too, see
/// [`components::form::TextBox`]).
fn without_hydration_markers(html: String) -> String {
    const MARKER: &[u8] = b"<!>";
    static FINDER: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(MARKER));
    // Most fragments have none: hand them back untouched.
    let Some(first) = FINDER.find(html.as_bytes()) else {
        return html;
    };
    let mut bytes = html.into_bytes();
    // Shift what lies between markers to the left, in place: one pass, no second buffer.
    let (mut kept, mut read) = (first, first + MARKER.len());
    while let Some(found) = FINDER.find(&bytes[read..]).map(|at| read + at) {
        bytes.copy_within(read..found, kept);
        kept += found - read;
        read = found + MARKER.len();
    }
    bytes.copy_within(read.., kept);
    bytes.truncate(kept + bytes.len() - read);
    // Taking whole ASCII sequences out of UTF-8 leaves UTF-8.
    String::from_utf8(bytes)
        .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::without_hydration_markers;

    #[test]
    fn hydration_markers_are_taken_out_wherever_they_stand() {
        for (html, expected) in [
            ("", ""),
            ("<p>no marker</p>", "<p>no marker</p>"),
            ("<!>", ""),
            ("<!><!><!>", ""),
            ("<!>a<!>b<!>", "ab"),
            ("<p>Hello, <!>Ann<!>!</p>", "<p>Hello, Ann!</p>"),
            (
                "<p>«<!>ünïcödé<!>» 日本<!>語</p>",
                "<p>«ünïcödé» 日本語</p>",
            ),
            ("<!-- a comment --><!>x", "<!-- a comment -->x"),
        ] {
            assert_eq!(
                without_hydration_markers(html.to_owned()),
                expected,
                "{html}"
            );
        }
    }
}
