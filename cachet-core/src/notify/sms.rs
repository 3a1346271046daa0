//! SMS messages and their length rules (GSM 03.38 / 3GPP TS 23.038).
//!
//! An SMS carries 140 octets. Text that fits the GSM 7-bit default alphabet packs 160
//! characters into one message, 153 into each part of a concatenated one (the user data header
//! takes the rest); the characters of the alphabet's extension table (`€ [ ] { } \ ^ ~ |` and
//! form feed) take two septets each, and a part never splits one. Any other text goes as UCS-2:
//! 70 UTF-16 code units in one message, 67 in each part, a surrogate pair never split. These
//! are the rules the providers bill by, so [`SmsMessage::segments`] counts what an SMS costs
//! and [`SmsMessage::fit`] keeps a notification within [`SmsMessage::MAX_SEGMENTS`].

use crate::validate::PhoneNumber;

/// One SMS for one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsMessage {
    /// The recipient (decrypted only for this delivery; `Debug` shows it masked).
    pub to: PhoneNumber,
    /// The text. Notifiers cut it to [`SmsMessage::MAX_SEGMENTS`] with [`SmsMessage::fit`].
    pub body: String,
    /// event x recipient x channel; sent to providers that take a client reference.
    pub idempotency_key: String,
}

/// GSM-7 limits: one message, and each part of a concatenated message (in septets).
const GSM7_SINGLE: usize = 160;
const GSM7_PART: usize = 153;
/// UCS-2 limits (in UTF-16 code units).
const UCS2_SINGLE: usize = 70;
const UCS2_PART: usize = 67;

/// The ellipsis that marks a cut: three dots keep GSM-7 text in GSM-7 (`…` is not in the
/// alphabet and would turn the whole message into UCS-2, at less than half the capacity).
const GSM7_ELLIPSIS: &str = "...";
const UCS2_ELLIPSIS: &str = "…";

impl SmsMessage {
    /// The most segments a notification may take: longer bodies are cut ([`SmsMessage::fit`]).
    /// Three segments are 459 GSM-7 characters or 201 UCS-2 units, enough for a status
    /// summary and a link, and cap what one message can cost.
    pub const MAX_SEGMENTS: usize = 3;

    /// Whether `text` can be sent in the GSM 7-bit default alphabet (with its extension
    /// table), rather than as UCS-2.
    #[must_use]
    pub fn fits_gsm7(text: &str) -> bool {
        text.chars().all(|c| gsm7_septets(c).is_some())
    }

    /// How many SMS segments `text` takes: GSM-7 when [`SmsMessage::fits_gsm7`] (160 septets in
    /// one message, 153 per part, extension characters counting two), otherwise UCS-2 (70
    /// UTF-16 units in one message, 67 per part). An empty text is still one message.
    #[must_use]
    pub fn segments(text: &str) -> usize {
        if Self::fits_gsm7(text) {
            count_segments(
                text.chars().map(|c| gsm7_septets(c).unwrap_or(2)),
                GSM7_SINGLE,
                GSM7_PART,
            )
        } else {
            count_segments(text.chars().map(char::len_utf16), UCS2_SINGLE, UCS2_PART)
        }
    }

    /// `text` cut to at most [`SmsMessage::MAX_SEGMENTS`] segments: unchanged when it fits,
    /// otherwise the longest prefix (on a character boundary, trailing whitespace dropped)
    /// followed by an ellipsis (`...` for GSM-7 text, so it stays GSM-7; `…` for UCS-2).
    #[must_use]
    pub fn fit(text: &str) -> String {
        if Self::segments(text) <= Self::MAX_SEGMENTS {
            return text.to_owned();
        }
        let ellipsis = if Self::fits_gsm7(text) {
            GSM7_ELLIPSIS
        } else {
            UCS2_ELLIPSIS
        };
        let boundaries: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        let with_ellipsis = |chars: usize| {
            let end = boundaries.get(chars).copied().unwrap_or(text.len());
            let mut cut = text[..end].trim_end().to_owned();
            cut.push_str(ellipsis);
            cut
        };
        // The segment count of prefix + ellipsis grows with the prefix: binary search for the
        // longest prefix that fits (O(n log n) on bodies of any length).
        let (mut lo, mut hi) = (0usize, boundaries.len());
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if Self::segments(&with_ellipsis(mid)) <= Self::MAX_SEGMENTS {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        with_ellipsis(lo)
    }

    /// `head` followed by `tail`, within [`SmsMessage::MAX_SEGMENTS`]: only the head is cut
    /// (as [`SmsMessage::fit`] cuts, with an ellipsis), so a link in the tail always arrives
    /// whole. A tail too long to fit with any head is sent alone, cut.
    #[must_use]
    pub fn fit_with_tail(head: &str, tail: &str) -> String {
        let whole = format!("{head}{tail}");
        if Self::segments(&whole) <= Self::MAX_SEGMENTS {
            return whole;
        }
        // The ellipsis of the joined text's alphabet: a UCS-2 tail makes the whole message
        // UCS-2 anyway.
        let ellipsis = if Self::fits_gsm7(&whole) {
            GSM7_ELLIPSIS
        } else {
            UCS2_ELLIPSIS
        };
        let boundaries: Vec<usize> = head.char_indices().map(|(i, _)| i).collect();
        let with = |chars: usize| {
            let end = boundaries.get(chars).copied().unwrap_or(head.len());
            format!("{}{ellipsis}{tail}", head[..end].trim_end())
        };
        if Self::segments(&with(0)) > Self::MAX_SEGMENTS {
            return Self::fit(tail.trim_start());
        }
        let (mut lo, mut hi) = (0usize, boundaries.len());
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if Self::segments(&with(mid)) <= Self::MAX_SEGMENTS {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        with(lo)
    }
}

/// Packs characters of the given widths into segments: one message when the total fits
/// `single`, otherwise parts of `part` units each, a character never split across two.
fn count_segments(widths: impl Iterator<Item = usize>, single: usize, part: usize) -> usize {
    let widths: Vec<usize> = widths.collect();
    if widths.iter().sum::<usize>() <= single {
        return 1;
    }
    let mut segments = 1;
    let mut used = 0;
    for w in widths {
        if used + w > part {
            segments += 1;
            used = 0;
        }
        used += w;
    }
    segments
}

/// Septets a character takes in the GSM 7-bit default alphabet: 1 for the basic table, 2 for
/// the extension table (escape + character), `None` when it is not in the alphabet.
fn gsm7_septets(c: char) -> Option<usize> {
    match c {
        // Basic table, in code order (3GPP TS 23.038, 6.2.1).
        '@'
        | '£'
        | '$'
        | '¥'
        | 'è'
        | 'é'
        | 'ù'
        | 'ì'
        | 'ò'
        | 'Ç'
        | '\n'
        | 'Ø'
        | 'ø'
        | '\r'
        | 'Å'
        | 'å'
        | 'Δ'
        | '_'
        | 'Φ'
        | 'Γ'
        | 'Λ'
        | 'Ω'
        | 'Π'
        | 'Ψ'
        | 'Σ'
        | 'Θ'
        | 'Ξ'
        | 'Æ'
        | 'æ'
        | 'ß'
        | 'É'
        | ' '
        | '!'
        | '"'
        | '#'
        | '¤'
        | '%'
        | '&'
        | '\''
        | '('
        | ')'
        | '*'
        | '+'
        | ','
        | '-'
        | '.'
        | '/'
        | '0'..='9'
        | ':'
        | ';'
        | '<'
        | '='
        | '>'
        | '?'
        | '¡'
        | 'A'..='Z'
        | 'Ä'
        | 'Ö'
        | 'Ñ'
        | 'Ü'
        | '§'
        | '¿'
        | 'a'..='z'
        | 'ä'
        | 'ö'
        | 'ñ'
        | 'ü'
        | 'à' => Some(1),
        // Extension table (6.2.1.1): sent as ESC + character.
        '\u{000C}' | '^' | '{' | '}' | '\\' | '[' | '~' | ']' | '|' | '€' => Some(2),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_long_head_is_cut_so_the_link_in_the_tail_arrives_whole() {
        let tail = "\nhttps://status.example.com/incidents/42";
        let head = "Status: ".to_owned() + &"word ".repeat(200);
        let out = SmsMessage::fit_with_tail(&head, tail);
        assert!(out.ends_with(tail), "{out}");
        assert!(out.contains("...\nhttps://"));
        assert_eq!(SmsMessage::segments(&out), SmsMessage::MAX_SEGMENTS);
        // The head keeps all the room the tail leaves (words of five characters: at most a
        // word's worth is lost to the cut).
        assert!(out.chars().count() > 3 * 153 - 6, "{}", out.chars().count());
        // Short texts are joined unchanged.
        assert_eq!(SmsMessage::fit_with_tail("Hi", " there"), "Hi there");
    }

    #[test]
    fn gsm7_alphabet_and_extension_table() {
        assert!(SmsMessage::fits_gsm7(
            "Major outage: API down since 12:00 UTC. Details @ https://s.example/i/7 (§3)"
        ));
        assert!(SmsMessage::fits_gsm7("Ærø Ñoño äöü ß £5 ¥ ¿¡ ΔΦΓΛΩΠΨΣΘΞ"));
        assert!(SmsMessage::fits_gsm7("€ [x] {y} a\\b ^~|"));
        assert!(SmsMessage::fits_gsm7(""));
        // Look-alikes outside the alphabet: À and ú (only è é ù ì ò à are), curly quotes, ellipsis, emoji, tab.
        for not in ["À", "ú", "“quoted”", "…", "✅", "a\tb", "ç", "`"] {
            assert!(!SmsMessage::fits_gsm7(not), "{not:?}");
        }
    }

    #[test]
    fn gsm7_segments_160_single_153_per_part_extension_counts_two() {
        assert_eq!(SmsMessage::segments(""), 1);
        assert_eq!(SmsMessage::segments(&"a".repeat(160)), 1);
        assert_eq!(SmsMessage::segments(&"a".repeat(161)), 2);
        assert_eq!(SmsMessage::segments(&"a".repeat(306)), 2);
        assert_eq!(SmsMessage::segments(&"a".repeat(307)), 3);
        assert_eq!(SmsMessage::segments(&"a".repeat(459)), 3);
        assert_eq!(SmsMessage::segments(&"a".repeat(460)), 4);
        // 80 euro signs are 160 septets: one message; one more character makes two.
        assert_eq!(SmsMessage::segments(&"€".repeat(80)), 1);
        assert_eq!(SmsMessage::segments(&format!("{}a", "€".repeat(80))), 2);
        // An escape pair is never split: 152 + `€` does not fit the 153 of a part.
        let text = format!("{}€{}", "a".repeat(152), "a".repeat(10));
        assert_eq!(SmsMessage::segments(&text), 2);
        let text = format!("{}€{}", "a".repeat(152), "a".repeat(152));
        assert_eq!(SmsMessage::segments(&text), 3);
    }

    #[test]
    fn ucs2_segments_70_single_67_per_part_counting_utf16_units() {
        assert_eq!(SmsMessage::segments(&"ç".repeat(70)), 1);
        assert_eq!(SmsMessage::segments(&"ç".repeat(71)), 2);
        assert_eq!(SmsMessage::segments(&"ç".repeat(134)), 2);
        assert_eq!(SmsMessage::segments(&"ç".repeat(135)), 3);
        // One non-GSM character turns GSM text into UCS-2.
        assert_eq!(SmsMessage::segments(&format!("{}✅", "a".repeat(69))), 1);
        assert_eq!(SmsMessage::segments(&format!("{}✅", "a".repeat(70))), 2);
        // Emoji are two UTF-16 units; 35 fill one message.
        assert_eq!(SmsMessage::segments(&"🔥".repeat(35)), 1);
        assert_eq!(SmsMessage::segments(&"🔥".repeat(36)), 2);
        // A surrogate pair is never split: 33 emoji (66 units) + 1 more does not fit 67.
        assert_eq!(SmsMessage::segments(&"🔥".repeat(67)), 3);
    }

    #[test]
    fn fit_keeps_short_text_and_cuts_long_text_to_three_segments() {
        let short = "API down";
        assert_eq!(SmsMessage::fit(short), short);
        assert_eq!(SmsMessage::fit(&"a".repeat(459)), "a".repeat(459));

        let long = "a".repeat(1000);
        let cut = SmsMessage::fit(&long);
        assert_eq!(cut, format!("{}...", "a".repeat(456)));
        assert_eq!(SmsMessage::segments(&cut), 3);
        assert!(SmsMessage::fits_gsm7(&cut));

        let long = "ç".repeat(500);
        let cut = SmsMessage::fit(&long);
        assert_eq!(cut, format!("{}…", "ç".repeat(200)));
        assert_eq!(SmsMessage::segments(&cut), 3);

        // Whitespace before the cut is dropped, not left before the ellipsis.
        let long = format!("{} {}", "a".repeat(455), "b".repeat(100));
        assert_eq!(SmsMessage::fit(&long), format!("{}...", "a".repeat(455)));
    }

    #[test]
    fn fit_cuts_on_char_boundaries() {
        let long = "🔥".repeat(200);
        let cut = SmsMessage::fit(&long);
        assert!(cut.ends_with('…'));
        assert_eq!(SmsMessage::segments(&cut), 3);
        // Parts of 67 units hold 33 emoji each (a pair is never split): 99 emoji, and the
        // ellipsis in the last unit of the third part.
        assert_eq!(cut.chars().filter(|c| *c == '🔥').count(), 99);
    }

    proptest! {
        #[test]
        fn fit_always_fits_and_is_a_prefix(text in "\\PC{0,700}|[a-z€ ]{0,700}|[ç🔥a ]{0,400}") {
            let cut = SmsMessage::fit(&text);
            prop_assert!(SmsMessage::segments(&cut) <= SmsMessage::MAX_SEGMENTS);
            if SmsMessage::segments(&text) <= SmsMessage::MAX_SEGMENTS {
                prop_assert_eq!(&cut, &text);
            } else {
                let stem = cut
                    .strip_suffix("...")
                    .or_else(|| cut.strip_suffix('…'))
                    .unwrap_or_default();
                prop_assert!(text.starts_with(stem));
                prop_assert_eq!(SmsMessage::fits_gsm7(&cut), SmsMessage::fits_gsm7(&text));
            }
        }
    }
}
