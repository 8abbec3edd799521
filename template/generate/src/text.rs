//! Finding a place for a line in an existing file.

/// Where `line` goes in the last block of lines starting with `prefix`, in alphabetical order; the
/// end of the file when there is none.
pub fn alphabetical_place(lines: &[&str], line: &str, prefix: &str) -> Option<usize> {
    let Some(last) = lines
        .iter()
        .rposition(|candidate| candidate.starts_with(prefix))
    else {
        return Some(lines.len());
    };
    let first = lines[..last]
        .iter()
        .rposition(|candidate| !candidate.starts_with(prefix))
        .map_or(0, |at| at + 1);
    Some(
        (first..=last)
            .find(|at| lines[*at] > line)
            .unwrap_or(last + 1),
    )
}
