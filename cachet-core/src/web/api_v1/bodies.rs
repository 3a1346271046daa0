//! The request bodies API v1 accepts, as the route table describes them to the OpenAPI
//! document. The handlers read a body field by field ([`crate::web::input::Input`]), leniently
//! as Cachet does (numbers as text, `tags` as a comma list or an array), so a body is data
//! about fields rather than a type to deserialize into.

/// One field: every field of a body is optional in the schema; which ones a create needs is
/// said in the body's description (and answered with a 400 naming them).
pub(crate) struct Field {
    pub name: &'static str,
    pub ty: Ty,
    pub doc: &'static str,
}

/// A field's JSON type.
#[derive(Clone, Copy)]
pub(crate) enum Ty {
    Str,
    Bool,
    Int,
    /// An integer within bounds.
    IntIn(i64, i64),
    Num,
    Object,
    IntList,
    /// Affected components with their statuses: `[{"id": 1, "status": 4}]` (an object from
    /// id to status is accepted too).
    AffectedList,
}

/// A request body: its schema's name and description, and its fields.
pub(crate) struct Body {
    pub name: &'static str,
    pub doc: &'static str,
    pub fields: &'static [Field],
}

const fn f(name: &'static str, ty: Ty, doc: &'static str) -> Field {
    Field { name, ty, doc }
}

pub(crate) static COMPONENT: Body = Body {
    name: "ComponentBody",
    doc: "`POST /components` (`name` and `status` required) and `PUT /components/{id}` (all \
          optional).",
    fields: &[
        f("name", Ty::Str, ""),
        f("description", Ty::Str, ""),
        f("status", Ty::IntIn(0, 4), ""),
        f("link", Ty::Str, "An http(s) URL, or `\"\"` to clear."),
        f("order", Ty::Int, ""),
        f("group_id", Ty::Int, ""),
        f("enabled", Ty::Bool, ""),
        f("meta", Ty::Object, ""),
        f("tags", Ty::Str, "Comma-separated tag names."),
        f(
            "silent",
            Ty::Bool,
            "Update only: no notifications for this change.",
        ),
    ],
};

pub(crate) static GROUP: Body = Body {
    name: "GroupBody",
    doc: "`POST /components/groups` (`name` required) and `PUT` (all optional).",
    fields: &[
        f("name", Ty::Str, ""),
        f("order", Ty::Int, ""),
        f("collapsed", Ty::IntIn(0, 2), ""),
        f("visible", Ty::Bool, ""),
    ],
};

pub(crate) static INCIDENT: Body = Body {
    name: "IncidentBody",
    doc: "`POST /incidents` (`name` and `status` required, or `template`) and `PUT` (all \
          optional).",
    fields: &[
        f("name", Ty::Str, ""),
        f("status", Ty::IntIn(0, 4), ""),
        f("message", Ty::Str, "Markdown."),
        f("visible", Ty::Bool, ""),
        f("component_id", Ty::Int, ""),
        f("component_status", Ty::IntIn(0, 4), ""),
        f(
            "components",
            Ty::AffectedList,
            "Several affected components, each with its status in the incident (an addition \
             to Cachet 2.4): a list of `{\"id\": 1, \"status\": 4}`, or an object from id to \
             status (`components[1]=4` in a form). Not together with `component_id`. The \
             components take these statuses; on `PUT` the list replaces the incident's, and \
             `[]` clears it.",
        ),
        f("notify", Ty::Bool, ""),
        f("stickied", Ty::Bool, ""),
        f(
            "occurred_at",
            Ty::Str,
            "`Y-m-d H:i` in the request's time zone.",
        ),
        f(
            "template",
            Ty::Str,
            "A template slug; its output replaces `message`.",
        ),
        f("vars", Ty::Object, ""),
        f("meta", Ty::Object, ""),
    ],
};

pub(crate) static UPDATE: Body = Body {
    name: "UpdateBody",
    doc: "`POST /incidents/{id}/updates` (`status` and `message` required) and `PUT`.",
    fields: &[
        f("status", Ty::IntIn(1, 4), ""),
        f("message", Ty::Str, "Markdown."),
        f("component_id", Ty::Int, ""),
        f("component_status", Ty::IntIn(0, 4), ""),
    ],
};

pub(crate) static METRIC: Body = Body {
    name: "MetricBody",
    doc: "`POST /metrics` (`name`, `suffix`, `default_value` required) and `PUT`.",
    fields: &[
        f("name", Ty::Str, ""),
        f("suffix", Ty::Str, ""),
        f("description", Ty::Str, ""),
        f(
            "default_value",
            Ty::Num,
            "A finite number or decimal text; rounded half away from zero to three decimals.",
        ),
        f("calc_type", Ty::IntIn(0, 1), ""),
        f("display_chart", Ty::Bool, ""),
        f("places", Ty::IntIn(0, 4), ""),
        f("default_view", Ty::IntIn(0, 3), ""),
        f("threshold", Ty::Int, "Minutes; must divide 60."),
        f("order", Ty::Int, ""),
        f("visible", Ty::IntIn(0, 2), ""),
    ],
};

pub(crate) static POINT: Body = Body {
    name: "PointBody",
    doc: "`POST /metrics/{id}/points` (`value` required) and `PUT`.",
    fields: &[
        f(
            "value",
            Ty::Num,
            "A finite number or decimal text; rounded half away from zero to three decimals.",
        ),
        f("timestamp", Ty::Int, "Unix seconds."),
    ],
};

pub(crate) static SCHEDULE: Body = Body {
    name: "ScheduleBody",
    doc: "`POST /schedules` (`name`, `status`, `scheduled_at` required) and `PUT`.",
    fields: &[
        f("name", Ty::Str, ""),
        f("message", Ty::Str, "Markdown."),
        f("status", Ty::IntIn(0, 2), ""),
        f(
            "scheduled_at",
            Ty::Str,
            "`Y-m-d H:i` in the request's time zone.",
        ),
        f(
            "completed_at",
            Ty::Str,
            "`Y-m-d H:i` in the request's time zone.",
        ),
        f("components", Ty::IntList, ""),
        f("notify", Ty::Bool, ""),
    ],
};

pub(crate) static SUBSCRIBER: Body = Body {
    name: "SubscriberBody",
    doc: "`POST /subscribers` (`email` required).",
    fields: &[
        f("email", Ty::Str, ""),
        f(
            "verify",
            Ty::Bool,
            "Mark verified at once instead of sending a verification mail.",
        ),
        f("components", Ty::IntList, "Component ids (default all)."),
        f(
            "phone_number",
            Ty::Str,
            "Also subscribe this mobile number by SMS (same components and `verify`).",
        ),
        f(
            "slack_webhook_url",
            Ty::Str,
            "Also subscribe this chat incoming-webhook URL (same components and `verify`).",
        ),
    ],
};

pub(crate) static INTEGRATION: Body = Body {
    name: "IntegrationBody",
    doc: "`POST /integrations` (`kind` and `name` required; `kind` is `alertmanager`, \
          `grafana`, `uptime_kuma`, `gatus` or `generic`) and `PUT` (`name`, `enabled`).",
    fields: &[
        f("kind", Ty::Str, "Create only."),
        f("name", Ty::Str, ""),
        f("enabled", Ty::Bool, "Default true."),
    ],
};

pub(crate) static ALERT_RULE: Body = Body {
    name: "AlertRuleBody",
    doc: "`POST /integrations/{id}/rules` (`component_id` and `matcher` required) and `PUT` \
          (what is absent is kept; `null` clears an optional setting).",
    fields: &[
        f("component_id", Ty::Int, ""),
        f(
            "matcher",
            Ty::Str,
            "Label equality: `alertname=HighLatency, service=checkout`, or an object of \
             label names to values. Uptime Kuma alerts carry `monitor` (and `monitor_id`), \
             Gatus `name` (and `group`), the generic push `key`.",
        ),
        f(
            "status",
            Ty::IntIn(2, 4),
            "The component's status while the alert fires (default 4, major outage).",
        ),
        f(
            "template_id",
            Ty::Int,
            "Open an incident from this template (variables `component`, `status`, `summary`).",
        ),
        f(
            "incident_title",
            Ty::Str,
            "Or open an incident with this title.",
        ),
        f("incident_message", Ty::Str, ""),
        f(
            "resolution",
            Ty::Str,
            "The message that resolves the incident.",
        ),
        f(
            "hold_secs",
            Ty::IntIn(0, 86_400),
            "How long the alert must fire before the component changes.",
        ),
        f(
            "recovery_hold_secs",
            Ty::IntIn(0, 86_400),
            "How long it must be resolved before the component recovers (default: hold_secs).",
        ),
    ],
};
