//! Where the parts of an object are written, so a finding names the line and column of the
//! key it is about, or of a place inside that key's value.

use std::collections::HashMap;

use crate::cli::yaml::{Node, Pos};
use crate::rules::{Field, TextPosition};

/// Where the parts of one object are written.
#[derive(Clone, Debug, Default)]
pub struct Positions {
    /// The start of the object (its document, or its item in a `kind: List`).
    pub start: Pos,
    pub metadata: Option<Pos>,
    pub name: Option<Pos>,
    /// The `labels:` and `annotations:` keys.
    pub labels: Option<Pos>,
    pub annotations: Option<Pos>,
    pub label_keys: HashMap<String, KeyPosition>,
    pub annotation_keys: HashMap<String, KeyPosition>,
    /// The `type:` key under `spec`.
    pub spec_type: Option<Pos>,
}

/// Where a label or annotation is written: its key, and how to find a place inside its value.
#[derive(Clone, Debug)]
pub struct KeyPosition {
    pub key: Pos,
    pub value: ValuePosition,
}

/// Where a scalar value starts, and how its text maps back to the source.
#[derive(Clone, Debug)]
pub struct ValuePosition {
    pub start: Pos,
    layout: Layout,
}

#[derive(Clone, Copy, Debug)]
enum Layout {
    /// One source line; the value's first character is `offset` columns after `start`.
    SingleLine { offset: usize },
    /// A literal block (`|`): value lines are source lines. `start` is the first non-blank
    /// content line, so the value's leading blank lines come before it.
    Literal { leading_blank: usize, lines: usize },
    /// Folded or multi-line flow scalars: lines are joined, only the start is known.
    Start,
}

impl ValuePosition {
    pub(super) fn of(node: &Node) -> ValuePosition {
        let layout = match node.as_scalar() {
            Some(s) => {
                use saphyr_parser::ScalarStyle as S;
                let one_line = node.start.line == node.end.line;
                match s.style {
                    S::Plain if one_line => Layout::SingleLine { offset: 0 },
                    // The source is exactly the text in quotes: no escapes to shift columns.
                    S::SingleQuoted | S::DoubleQuoted
                        if one_line && s.source_chars == s.text.chars().count() + 2 =>
                    {
                        Layout::SingleLine { offset: 1 }
                    }
                    S::Literal => Layout::Literal {
                        leading_blank: s.text.chars().take_while(|&c| c == '\n').count(),
                        lines: s.text.lines().count(),
                    },
                    _ => Layout::Start,
                }
            }
            None => Layout::Start,
        };
        ValuePosition {
            start: node.start,
            layout,
        }
    }

    /// The source position of a 1-based line and column inside the value's text.
    pub fn locate(&self, at: TextPosition) -> Pos {
        let (line, column) = (at.line.max(1), at.column.max(1));
        match self.layout {
            Layout::SingleLine { offset } if line == 1 => Pos {
                line: self.start.line,
                column: self.start.column + offset + column - 1,
            },
            // Past the last line (a parser reporting the end of the text): the last line.
            Layout::Literal {
                leading_blank,
                lines,
            } if line > lines && lines > leading_blank => Pos {
                line: self.start.line + (lines - 1 - leading_blank),
                column: self.start.column,
            },
            Layout::Literal { leading_blank, .. } if line > leading_blank => Pos {
                line: self.start.line + (line - 1 - leading_blank),
                column: self.start.column + column - 1,
            },
            _ => self.start,
        }
    }
}

impl Positions {
    /// The position of a field the rules name, falling back to its map, then to `metadata:`,
    /// then to the start of the object.
    pub fn of_field(&self, field: &Field) -> Pos {
        let fallback = |map: Option<Pos>| map.or(self.metadata).unwrap_or(self.start);
        match field {
            Field::Annotation(k) => self
                .annotation_keys
                .get(k)
                .map(|p| p.key)
                .unwrap_or_else(|| fallback(self.annotations)),
            Field::Label(k) => self
                .label_keys
                .get(k)
                .map(|p| p.key)
                .unwrap_or_else(|| fallback(self.labels)),
            Field::SpecType => self.spec_type.unwrap_or(self.start),
        }
    }

    /// The position of a finding: inside the value when the rule says where (a line of the
    /// cloud-annotations YAML), else the field's key.
    pub fn locate(&self, field: &Field, in_value: Option<TextPosition>) -> Pos {
        let key = match field {
            Field::Annotation(k) => self.annotation_keys.get(k),
            Field::Label(k) => self.label_keys.get(k),
            Field::SpecType => None,
        };
        match (key, in_value) {
            (Some(kp), Some(at)) => kp.value.locate(at),
            _ => self.of_field(field),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{parse_one, pos};
    use crate::rules::{Field, TextPosition, keys};

    #[test]
    fn key_positions_point_at_the_key() {
        let ms = parse_one(
            "# leading comment\n\
             apiVersion: v1\n\
             kind: Namespace\n\
             metadata:\n\
             \x20 name: payments\n\
             \x20 labels:\n\
             \x20   istio-injection: enabled\n\
             \x20 annotations:\n\
             \x20   traffic.tetrate.io/global: \"true\"\n\
             \x20   \"traffic.tetrate.io/eastwest-gateway-name\": gw\n",
        );
        assert_eq!(ms.len(), 1);
        let p = &ms[0].positions;
        assert_eq!(p.start, pos(2, 1));
        assert_eq!(p.metadata, Some(pos(4, 1)));
        assert_eq!(p.annotations, Some(pos(8, 3)));
        assert_eq!(
            p.of_field(&Field::Annotation(keys::GLOBAL.into())),
            pos(9, 5)
        );
        assert_eq!(
            p.of_field(&Field::Annotation(keys::GATEWAY_NAME.into())),
            pos(10, 5)
        );
        assert_eq!(
            p.of_field(&Field::Label("istio-injection".into())),
            pos(7, 5)
        );
        // Absent keys fall back to their map, then metadata.
        assert_eq!(p.of_field(&Field::Annotation("x".into())), pos(8, 3));
        assert_eq!(p.of_field(&Field::Label("x".into())), pos(6, 3));
        assert_eq!(p.of_field(&Field::SpecType), pos(2, 1));
    }

    #[test]
    fn positions_inside_a_literal_block_map_to_file_lines() {
        let ms = parse_one(
            "kind: Namespace\n\
             apiVersion: v1\n\
             metadata:\n\
             \x20 name: n\n\
             \x20 annotations:\n\
             \x20   traffic.tetrate.io/eastwest-gateway-cloud-annotations: |\n\
             \x20     service.beta.kubernetes.io/aws-load-balancer-type: nlb\n\
             \x20     bad line here: : x\n",
        );
        let field = Field::Annotation(keys::GATEWAY_CLOUD_ANNOTATIONS.into());
        let p = &ms[0].positions;
        assert_eq!(p.of_field(&field), pos(6, 5));
        let at = |line, column| Some(TextPosition { line, column });
        assert_eq!(p.locate(&field, at(1, 1)), pos(7, 7));
        assert_eq!(p.locate(&field, at(2, 5)), pos(8, 11));
    }

    #[test]
    fn literal_block_with_leading_blank_lines() {
        let ms = parse_one(
            "kind: Namespace\nmetadata:\n  annotations:\n    a: |\n\n      x: 1\n      y\n",
        );
        let field = Field::Annotation("a".into());
        let p = &ms[0].positions;
        let at = |line, column| Some(TextPosition { line, column });
        assert_eq!(p.locate(&field, at(2, 1)), pos(6, 7));
        assert_eq!(p.locate(&field, at(3, 1)), pos(7, 7));
        // The blank line itself: the block's start.
        assert_eq!(p.locate(&field, at(1, 1)), pos(6, 7));
        // The end of the text (where a parser reports a missing `]`): its last line.
        assert_eq!(p.locate(&field, at(4, 1)), pos(7, 7));
    }

    #[test]
    fn positions_inside_one_line_values() {
        let ms = parse_one(
            "kind: Namespace\nmetadata:\n  annotations:\n    a: x y\n    b: \"x y\"\n    c: \"x\\ty\"\n    d: >\n      folded\n",
        );
        let p = &ms[0].positions;
        let at = Some(TextPosition { line: 1, column: 3 });
        assert_eq!(p.locate(&Field::Annotation("a".into()), at), pos(4, 10));
        assert_eq!(p.locate(&Field::Annotation("b".into()), at), pos(5, 11));
        // An escape shifts columns: only the value's start is known.
        assert_eq!(p.locate(&Field::Annotation("c".into()), at), pos(6, 8));
        assert_eq!(p.locate(&Field::Annotation("d".into()), at), pos(8, 7));
    }
}
