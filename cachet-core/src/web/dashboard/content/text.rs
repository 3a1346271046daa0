//! The content sections' strings: one catalogue, English for now, keyed by [`M`] so a locale
//! can be added beside [`M::en`] without touching a handler or a template. Placeholders are
//! `{0}`, `{1}`, … ([`M::fill`]); filled values are plain text, escaped by the template.

macro_rules! catalogue {
    ($( $key:ident = $en:literal, )+) => {
        /// A dashboard message.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum M {
            $(
                #[doc = $en]
                $key,
            )+
        }

        impl M {
            /// The English text.
            pub(crate) fn en(self) -> &'static str {
                match self {
                    $( Self::$key => $en, )+
                }
            }
        }
    };
}

impl M {
    /// The text with `{0}`, `{1}`, … replaced by `args` (plain text).
    pub(crate) fn fill(self, args: &[&str]) -> String {
        let mut out = self.en().to_owned();
        for (i, a) in args.iter().enumerate() {
            out = out.replace(&format!("{{{i}}}"), a);
        }
        out
    }
}

catalogue! {
    Actions = "Actions",
    AddPoint = "Add a point",
    AddSubscriber = "Add a subscriber",
    AddUpdate = "Add an update",
    AddressesAdminsOnly = "Only admins see subscribers' addresses.",
    AffectedComponents = "Affected components",
    AllComponents = "All components",
    AllDeliveries = "All deliveries",
    AlreadyVerified = "Already verified",
    AnyChannel = "Any channel",
    AnyStatus = "Any status",
    AnyVisibility = "Visible or hidden",
    ApplyComponentStatus = "Also set the affected components to these statuses",
    Attempts = "Attempts",
    CalcType = "Calculation",
    Cancel = "Cancel",
    Channel = "Channel",
    Checker = "Template check",
    Collapsed = "Collapsed",
    CompletedAt = "Completed at",
    CompletedHelp = "In the site's time zone ({0}); leave empty while the work is not finished.",
    Component = "Component",
    ComponentStatus = "Component status",
    Components = "Components",
    ConfirmDeleteComponent = "Delete the component “{0}”? Its status history goes with it. This cannot be undone.",
    ConfirmDeleteGroup = "Delete the group “{0}”? Its components stay, without a group. This cannot be undone.",
    ConfirmDeleteIncident = "Delete the incident “{0}” and its updates? This cannot be undone.",
    ConfirmDeleteMetric = "Delete the metric “{0}” and all its points? This cannot be undone.",
    ConfirmDeleteSchedule = "Delete the maintenance “{0}” and its updates? This cannot be undone.",
    ConfirmDeleteScheduleUpdate = "Delete this update of the maintenance “{0}”? This cannot be undone.",
    ConfirmDeleteSubscriber = "Delete the subscriber {0} and their subscriptions? This cannot be undone.",
    ConfirmDeleteTemplate = "Delete the template “{0}”? Incidents written with it keep their text. This cannot be undone.",
    ConfirmDeleteUpdate = "Delete the update posted {0}? This cannot be undone.",
    ConfirmEraseSubscriber = "Erase everything stored about {0} (address, subscriptions)? Export it first if they asked for a copy. This cannot be undone.",
    Counter = "Count",
    Created = "Created",
    DefaultValue = "Default value",
    DefaultView = "Default view",
    Delete = "Delete",
    DeleteComponent = "Delete component",
    DeleteForGood = "Delete",
    DeleteGroup = "Delete group",
    DeleteIncident = "Delete incident",
    DeleteMetric = "Delete metric",
    DeletePointAt = "Delete the point of {0}",
    DeleteSchedule = "Delete maintenance",
    DeleteSubscriber = "Delete subscriber",
    DeleteTemplate = "Delete template",
    DeleteUpdate = "Delete update",
    Delivered = "Delivered",
    Deliveries = "Deliveries",
    Delivery = "Delivery",
    DeliveryTitle = "Delivery #{0}",
    Description = "Description",
    DescriptionMarkdown = "Description (Markdown)",
    DisplayChart = "Show a chart",
    Edit = "Edit",
    EditComponent = "Component “{0}”",
    EditGroup = "Group “{0}”",
    EditIncident = "Incident “{0}”",
    EditMetric = "Metric “{0}”",
    EditSchedule = "Maintenance “{0}”",
    EditTemplate = "Template “{0}”",
    EditUpdate = "Edit update",
    Email = "Email address",
    EmptyMessage = "The message is empty.",
    Enabled = "Enabled",
    Erase = "Erase",
    EraseSubscriber = "Erase subscriber",
    Error = "Error",
    Export = "Export",
    ExportJson = "Export as JSON",
    ExportOf = "Export {0} as JSON",
    Failed = "Failed",
    Filter = "Filter",
    FromTemplate = "Write the message from a template",
    Group = "Group",
    Groups = "Component groups",
    Hidden = "Hidden",
    Incidents = "Incidents",
    LastError = "Last error",
    Link = "Link",
    LinkHelp = "An http or https address, shown on the status page.",
    Locale = "Language",
    Maintenance = "Maintenance",
    MarkdownHelp = "Markdown. Raw HTML is shown as text; links may be http, https or mailto only.",
    MessageMarkdown = "Message (Markdown)",
    Meta = "Meta (JSON object)",
    MetaHelp = "Optional data for integrations, as a JSON object such as {\"team\": \"core\"}.",
    Metrics = "Metrics",
    MoveDown = "Down",
    MoveUp = "Up",
    Name = "Name",
    NewComponent = "New component",
    NewGroup = "New group",
    NewIncident = "New incident",
    NewMetric = "New metric",
    NewSchedule = "New maintenance",
    NewTemplate = "New template",
    Newer = "Newer",
    Next = "Next",
    NextAttempt = "Next attempt",
    No = "no",
    NoAttempts = "No attempts yet.",
    NoComponent = "None",
    NoComponents = "There are no components yet.",
    NoComponentsInGroup = "No components in this group.",
    NoComponentsMeansAll = "None ticked means all components.",
    NoDeliveries = "No deliveries.",
    NoGroup = "No group",
    NoGroups = "There are no groups yet.",
    NoIncidents = "No incidents.",
    NoMetrics = "There are no metrics yet.",
    NoPoints = "No points yet.",
    NoSchedules = "No maintenance is scheduled.",
    NoSubscribers = "No subscribers.",
    NoSubscriptions = "No subscriptions: notified about every component.",
    NoTemplate = "No template",
    NoTemplates = "There are no templates yet.",
    NoUpdates = "No updates yet.",
    NoWarnings = "No warnings",
    NotAffected = "Not affected",
    Notified = "Notified about",
    NotifySubscribers = "Notify subscribers",
    OccurredAt = "Occurred at",
    Older = "Older",
    Order = "Order",
    PageOf = "Page {0} of {1}",
    Places = "Decimal places",
    PointTimeHelp = "Optional, in {0}; empty means now.",
    Points = "Points",
    Posted = "Posted",
    Preview = "Preview",
    PreviewUnavailable = "There is nothing to preview until the message and template fields are valid.",
    Previous = "Previous",
    RecentPoints = "The {0} most recent of {1} points",
    Recipient = "Recipient",
    RecipientFilterHelp = "As the table names it, for example webhook:2; empty shows every recipient.",
    Remove = "Remove",
    RemoveSubscriptionTo = "Remove the subscription to {0}",
    Result = "Result",
    Save = "Save",
    ScheduledAt = "Scheduled for",
    SectionNav = "Section",
    SetStatus = "Set",
    Slug = "Slug",
    SlugHelp = "Lowercase letters, digits and hyphens; made from the name when empty. API clients name the template by it.",
    SomeComponents = "{0} components",
    Status = "Status",
    StatusInIncident = "Status in this incident",
    StatusOf = "Status of {0}",
    Stickied = "Pinned to the top",
    SubscriberCount = "{0} subscribers.",
    SubscriberTitle = "Subscriber {0}",
    Subscribers = "Subscribers",
    Subscriptions = "Subscriptions",
    Succeeded = "Succeeded",
    Suffix = "Suffix",
    SuffixHelp = "The unit shown after values, such as ms.",
    Tags = "Tags",
    TagsHelp = "Names separated by commas.",
    TemplateHelp = "When a template is chosen, the message is written from it with the variables below (and incident.name); the message field is then ignored.",
    TemplateSyntax = "Placeholders are {{ name }}; values are inserted as plain text and nothing else in the template is evaluated.",
    TemplateText = "Template (Markdown)",
    TemplateVars = "Template variables",
    Templates = "Incident templates",
    Threshold = "Threshold (minutes)",
    ThresholdHelp = "Points with the same value within this many minutes are counted as one.",
    Time = "Time",
    TimeHelp = "In the site's time zone ({0}). Empty means now.",
    ZoneHelp = "In the site's time zone ({0}).",
    Ungrouped = "Not in a group",
    UnsupportedTag = "Shown literally, not evaluated: {0}",
    UpdateComponentHelp = "Optionally set one component's status with this update.",
    Updates = "Updates",
    Value = "Value",
    ValueAt = "Value of {0}",
    VariablesUsed = "Variables used: {0}",
    VarsHelp = "One per line: name=value.",
    Verified = "Verified",
    VerifiedHelp = "Only when the person confirmed their address elsewhere; otherwise they are sent a confirmation link.",
    View = "View",
    Visibility = "Visibility",
    Visible = "Visible",
    VisibleOnStatusPage = "Visible on the status page",
    VisibleTo = "Visible to",
    WarningCount = "{0} warnings",
    Yes = "yes",
}

#[cfg(test)]
mod tests {
    use super::M;

    #[test]
    fn placeholders_are_filled_in_order() {
        assert_eq!(M::PageOf.fill(&["2", "7"]), "Page 2 of 7");
        assert_eq!(M::Save.fill(&["x"]), "Save");
    }
}
