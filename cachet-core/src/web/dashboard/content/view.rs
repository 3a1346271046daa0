//! The view model of the content pages: a page is a list of blocks (headings, tables, forms,
//! sanitized Markdown), rendered by one askama template (`dashboard/content_page.html`).
//!
//! Every string here is plain text and escaped by the template; the only markup that is
//! written unescaped is [`SafeHtml`] from the Markdown sanitizer. Building pages from this
//! small vocabulary keeps every form alike (label, field, error message, the CSRF token) and
//! leaves no place where a handler could write markup by hand.

use crate::sanitize::SafeHtml;

/// A link.
#[derive(Debug, Clone)]
pub(crate) struct Link {
    /// Where it goes (already prefixed with the mount path).
    pub href: String,
    /// What it says.
    pub text: String,
}

impl Link {
    /// A link.
    pub fn new(href: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            href: href.into(),
            text: text.into(),
        }
    }
}

/// One option of a select or a checkbox list.
#[derive(Debug, Clone)]
pub(crate) struct Opt {
    /// The submitted value.
    pub value: String,
    /// What is shown.
    pub label: String,
    /// Whether it is selected or checked.
    pub selected: bool,
}

impl Opt {
    /// An option.
    pub fn new(value: impl Into<String>, label: impl Into<String>, selected: bool) -> Self {
        Self {
            value: value.into(),
            label: label.into(),
            selected,
        }
    }
}

/// How a field is entered.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    /// One line of text.
    Text,
    /// A URL.
    Url,
    /// An email address.
    Email,
    /// A number (`step` as the input's attribute: `1` or `any`).
    Number(&'static str),
    /// A local date and time (`datetime-local`, shown in the site's zone).
    DateTime,
    /// Several lines.
    TextArea(u8),
    /// A checkbox sending `1` when checked (a hidden `0` before it makes "unchecked"
    /// explicit); checked when the field's value is `1`.
    Checkbox,
    /// One of several.
    Select(Vec<Opt>),
    /// Any of several (checkboxes sharing the field's name).
    Checks(Vec<Opt>),
    /// One select per row, as a compact table (the affected components of an incident, each
    /// with its status): the field's label is the table's legend, `head` its two column
    /// headings, each row's label the select's label.
    SelectTable {
        /// The column headings: the row label's and the select's.
        head: (String, String),
        /// The rows.
        rows: Vec<SelectRow>,
    },
    /// A hidden value.
    Hidden,
}

/// One row of a [`Kind::SelectTable`].
#[derive(Debug, Clone)]
pub(crate) struct SelectRow {
    /// The submitted name.
    pub name: String,
    /// The select's element id.
    pub id: String,
    /// What the row is (the select's label).
    pub label: String,
    /// The choices.
    pub opts: Vec<Opt>,
}

impl SelectRow {
    /// A row submitting `name`.
    pub fn new(name: &str, label: impl Into<String>, opts: Vec<Opt>) -> Self {
        Self {
            name: name.to_owned(),
            id: format!(
                "f-{}",
                name.replace(|c: char| !c.is_ascii_alphanumeric(), "-")
            ),
            label: label.into(),
            opts,
        }
    }
}

/// A form field.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    /// The submitted name.
    pub name: String,
    /// The element id (unique within the page).
    pub id: String,
    /// The label.
    pub label: String,
    /// How it is entered.
    pub kind: Kind,
    /// The current value (for text-like fields).
    pub value: String,
    /// The validation message for this field, if the last submission broke a rule.
    pub error: Option<String>,
    /// A hint below the field.
    pub help: Option<String>,
    /// Whether the field must be filled in.
    pub required: bool,
}

impl Field {
    /// A field.
    pub fn new(name: &str, label: impl Into<String>, kind: Kind, value: impl Into<String>) -> Self {
        Self {
            name: name.to_owned(),
            id: format!(
                "f-{}",
                name.replace(|c: char| !c.is_ascii_alphanumeric(), "-")
            ),
            label: label.into(),
            kind,
            value: value.into(),
            error: None,
            help: None,
            required: false,
        }
    }

    /// A hidden field.
    pub fn hidden(name: &str, value: impl Into<String>) -> Self {
        Self::new(name, "", Kind::Hidden, value)
    }

    /// Marks the field required.
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// Adds a hint.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Whether this is a hidden field (rendered without a label).
    pub fn is_hidden(&self) -> bool {
        matches!(self.kind, Kind::Hidden)
    }

    /// The id of the field's message element, for `aria-describedby`.
    pub fn described_by(&self) -> String {
        let mut ids = Vec::new();
        if self.error.is_some() {
            ids.push(format!("{}-error", self.id));
        }
        if self.help.is_some() {
            ids.push(format!("{}-help", self.id));
        }
        ids.join(" ")
    }
}

/// A submit button.
#[derive(Debug, Clone)]
pub(crate) struct Submit {
    /// What it says.
    pub label: String,
    /// Another endpoint for this button only (`formaction`), such as the preview.
    pub formaction: Option<String>,
    /// Whether it destroys something (styled as such).
    pub danger: bool,
    /// A longer accessible name when the label alone is ambiguous in a list ("Up" of which).
    pub aria_label: Option<String>,
}

/// A form. Always `POST`, always with the session's CSRF token.
#[derive(Debug, Clone)]
pub(crate) struct Form {
    /// Where it posts.
    pub action: String,
    /// The session's synchronizer token (`_token`).
    pub token: String,
    /// An optional heading.
    pub title: Option<String>,
    /// The fields.
    pub fields: Vec<Field>,
    /// The buttons.
    pub submits: Vec<Submit>,
    /// A small inline form (a button in a table row).
    pub inline: bool,
    /// A message about the form as a whole (a conflict), shown above the fields.
    pub error: Option<String>,
    /// A search form (`GET`, no token: it changes nothing).
    pub get: bool,
    /// Shown to someone who may not change it: the fields are disabled and there is no
    /// button (the facade would refuse the change anyway).
    pub read_only: bool,
}

impl Form {
    /// A form posting to `action` with one submit button.
    pub fn new(action: impl Into<String>, token: &str, submit: impl Into<String>) -> Self {
        Self {
            action: action.into(),
            token: token.to_owned(),
            title: None,
            fields: Vec::new(),
            submits: vec![Submit {
                label: submit.into(),
                formaction: None,
                danger: false,
                aria_label: None,
            }],
            inline: false,
            error: None,
            get: false,
            read_only: false,
        }
    }

    /// A filter form (`GET`).
    pub fn search(action: impl Into<String>, submit: impl Into<String>) -> Self {
        let mut f = Self::new(action, "", submit);
        f.get = true;
        f
    }

    /// A one-button inline form (with hidden fields only).
    pub fn button(action: impl Into<String>, token: &str, label: impl Into<String>) -> Self {
        let mut f = Self::new(action, token, label);
        f.inline = true;
        f
    }

    /// Marks the (first) button as destructive.
    pub fn danger(mut self) -> Self {
        if let Some(s) = self.submits.first_mut() {
            s.danger = true;
        }
        self
    }

    /// Adds a field.
    pub fn field(mut self, f: Field) -> Self {
        self.fields.push(f);
        self
    }

    /// Adds a second button posting elsewhere.
    pub fn extra_submit(mut self, label: impl Into<String>, formaction: String) -> Self {
        self.submits.push(Submit {
            label: label.into(),
            formaction: Some(formaction),
            danger: false,
            aria_label: None,
        });
        self
    }

    /// Sets the heading.
    pub fn titled(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }
}

/// A table cell.
#[derive(Debug, Clone)]
pub(crate) enum Cell {
    /// Text.
    Text(String),
    /// A link.
    Link(Link),
    /// Links and inline forms (buttons, a quick status change).
    Actions(Vec<Action>),
}

/// One action in a table row.
#[derive(Debug, Clone)]
pub(crate) enum Action {
    /// A link (to a page that asks before it changes anything).
    Link(Link),
    /// A small form (a button, a quick change).
    Form(Form),
}

/// A table.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    /// The caption.
    pub caption: String,
    /// Column headings.
    pub head: Vec<String>,
    /// Rows of cells.
    pub rows: Vec<Vec<Cell>>,
    /// What is shown when there are no rows.
    pub empty: String,
}

/// One section of a [`SectionedTable`]: a heading row, then its rows.
#[derive(Debug, Clone)]
pub(crate) struct Section {
    /// The heading (a group's name).
    pub heading: String,
    /// Rows of cells.
    pub rows: Vec<Vec<Cell>>,
    /// What the section shows when it has no rows.
    pub empty: String,
}

/// A table whose rows come in sections, each under a heading row.
#[derive(Debug, Clone)]
pub(crate) struct SectionedTable {
    /// The caption.
    pub caption: String,
    /// Column headings.
    pub head: Vec<String>,
    /// The sections, in order.
    pub sections: Vec<Section>,
}

/// One piece of a page.
#[derive(Debug, Clone)]
pub(crate) enum Block {
    /// A section heading.
    Heading(String),
    /// A paragraph.
    Para(String),
    /// A warning (a template checker's finding, a confirmation question).
    Warning(String),
    /// Links (actions such as "New component").
    Links(Vec<Link>),
    /// A table.
    Table(Table),
    /// One table in sections (components by group): the columns line up across sections.
    Sections(SectionedTable),
    /// A form.
    Form(Form),
    /// Markdown rendered by the sanitizer.
    Html(SafeHtml),
    /// Facts (a definition list).
    Facts(Vec<(String, String)>),
}

/// A content page.
#[derive(Debug, Clone)]
pub(crate) struct Page {
    /// The title (heading and `<title>`).
    pub title: String,
    /// The section's own navigation.
    pub nav: Vec<Link>,
    /// The blocks.
    pub blocks: Vec<Block>,
}

impl Page {
    /// An empty page with a title.
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            nav: Vec::new(),
            blocks: Vec::new(),
        }
    }

    /// Appends a block.
    pub fn push(&mut self, b: Block) {
        self.blocks.push(b);
    }
}
