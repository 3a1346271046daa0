//! The message catalogue of the public pages: every visible string, in English, German and
//! French.
//!
//! # Why a compile-time table
//!
//! The pages show a few dozen short, fixed strings with at most one argument and no plural
//! forms that depend on a number. A typed key ([`Msg`]) looked up in a table compiled into
//! the binary costs nothing at run time, cannot be mistyped (an unknown key is a compile
//! error), and the `messages!` macro takes every locale's text on the same line, so a
//! locale cannot lack a key: the table does not compile. Fluent (`fluent-bundle`) would add
//! runtime parsing, a resource loader and an error path for a missing message, none of which
//! these pages need. The unit tests still check every key in every locale (non-empty, same
//! placeholders).
//!
//! # Choosing the locale
//!
//! [`negotiate`]: the `app_locale` setting, or, when `automatic_localization` is on, the
//! first supported language of `Accept-Language` by quality (`q` values, RFC 9110 12.5.4;
//! `q=0` refuses; `*` means the setting's). A tag matches by its primary language (`de-CH`
//! → German). Anything unsupported falls back to the setting, and an unsupported setting to
//! English.

use chrono::{Datelike, NaiveDate, Timelike};

use crate::model::{DateStyle, IncidentStatus};
use crate::status::EffectiveStatus;

/// A supported locale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English.
    En,
    /// German.
    De,
    /// French.
    Fr,
}

impl Lang {
    /// Every supported locale.
    pub const ALL: &'static [Self] = &[Self::En, Self::De, Self::Fr];

    /// The BCP 47 tag, for `lang` and `Content-Language`.
    #[must_use]
    pub fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::De => "de",
            Self::Fr => "fr",
        }
    }

    /// The supported locale for a tag, by its primary language (`de-CH` → German).
    #[must_use]
    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag
            .trim()
            .split(['-', '_'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Self::En),
            "de" => Some(Self::De),
            "fr" => Some(Self::Fr),
            _ => None,
        }
    }
}

/// The locale for a request (see the [module docs](self)).
#[must_use]
pub fn negotiate(setting: &str, automatic: bool, accept_language: Option<&str>) -> Lang {
    let fallback = Lang::from_tag(setting).unwrap_or(Lang::En);
    if !automatic {
        return fallback;
    }
    let Some(header) = accept_language else {
        return fallback;
    };
    let mut ranges: Vec<(u16, usize, &str)> = header
        .split(',')
        .take(32)
        .enumerate()
        .filter_map(|(pos, item)| {
            let mut parts = item.split(';');
            let tag = parts.next()?.trim();
            if tag.is_empty() {
                return None;
            }
            let mut q = 1000u16;
            for p in parts {
                let p = p.trim();
                if let Some(v) = p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")) {
                    q = parse_q(v)?;
                }
            }
            Some((q, pos, tag))
        })
        .filter(|(q, _, _)| *q > 0)
        .collect();
    ranges.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, _, tag) in ranges {
        if tag == "*" {
            return fallback;
        }
        if let Some(lang) = Lang::from_tag(tag) {
            return lang;
        }
    }
    fallback
}

/// A quality value in thousandths (`0`, `0.5`, `1.000`); `None` when malformed.
fn parse_q(v: &str) -> Option<u16> {
    let v = v.trim();
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut thousandths = 0u16;
    for (i, b) in frac.bytes().enumerate() {
        thousandths += u16::from(b - b'0') * [100, 10, 1][i];
    }
    match int {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

macro_rules! messages {
    ($( $(#[$doc:meta])* $key:ident => { en: $en:literal, de: $de:literal, fr: $fr:literal } ),+ $(,)?) => {
        /// A message key: one visible string of the public pages.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Msg {
            $( $(#[$doc])* $key, )+
        }

        impl Msg {
            /// Every key.
            pub const ALL: &'static [Self] = &[$( Self::$key, )+];
        }

        fn lookup(lang: Lang, key: Msg) -> &'static str {
            match (lang, key) {
                $(
                    (Lang::En, Msg::$key) => $en,
                    (Lang::De, Msg::$key) => $de,
                    (Lang::Fr, Msg::$key) => $fr,
                )+
            }
        }
    };
}

messages! {
    /// The skip link.
    SkipToContent => { en: "Skip to main content", de: "Zum Inhalt springen", fr: "Aller au contenu principal" },
    /// The site navigation's label.
    SiteNavigation => { en: "Site", de: "Website", fr: "Site" },
    /// The link to the status page.
    NavStatus => { en: "Current status", de: "Aktueller Status", fr: "État actuel" },
    /// The default site name.
    DefaultSiteName => { en: "Status", de: "Status", fr: "État des services" },
    /// Overall: everything fine.
    OverallNone => { en: "All systems are operational", de: "Alle Systeme sind betriebsbereit", fr: "Tous les systèmes sont opérationnels" },
    /// Overall: only maintenance.
    OverallMaintenance => { en: "Some systems are under maintenance", de: "Einige Systeme werden gewartet", fr: "Certains systèmes sont en maintenance" },
    /// Overall: degraded performance.
    OverallMinor => { en: "Some systems are experiencing degraded performance", de: "Einige Systeme haben Leistungsprobleme", fr: "Certains systèmes connaissent des ralentissements" },
    /// Overall: partial outage.
    OverallMajor => { en: "Some systems are experiencing a partial outage", de: "Einige Systeme sind teilweise ausgefallen", fr: "Certains systèmes connaissent une panne partielle" },
    /// Overall: major outage.
    OverallCritical => { en: "Some systems are experiencing a major outage", de: "Einige Systeme sind schwer gestört", fr: "Certains systèmes connaissent une panne majeure" },
    /// The overall status region's label.
    OverallStatus => { en: "Overall status", de: "Gesamtstatus", fr: "État général" },
    /// About heading.
    About => { en: "About", de: "Über diese Seite", fr: "À propos" },
    /// Components heading.
    Components => { en: "Components", de: "Komponenten", fr: "Composants" },
    /// Heading of the ungrouped components.
    OtherComponents => { en: "Other components", de: "Weitere Komponenten", fr: "Autres composants" },
    /// Component status: operational.
    StatusOperational => { en: "Operational", de: "Betriebsbereit", fr: "Opérationnel" },
    /// Component status: performance issues.
    StatusPerformanceIssues => { en: "Performance issues", de: "Leistungsprobleme", fr: "Problèmes de performance" },
    /// Component status: partial outage.
    StatusPartialOutage => { en: "Partial outage", de: "Teilausfall", fr: "Panne partielle" },
    /// Component status: major outage.
    StatusMajorOutage => { en: "Major outage", de: "Schwerer Ausfall", fr: "Panne majeure" },
    /// Component status: under maintenance.
    StatusUnderMaintenance => { en: "Under maintenance", de: "In Wartung", fr: "En maintenance" },
    /// Component status: unknown.
    StatusUnknown => { en: "Status unknown", de: "Status unbekannt", fr: "État inconnu" },
    /// Incident status: scheduled (Cachet 2.3).
    IncidentScheduled => { en: "Scheduled", de: "Geplant", fr: "Planifié" },
    /// Incident status: investigating.
    IncidentInvestigating => { en: "Investigating", de: "Wird untersucht", fr: "Enquête en cours" },
    /// Incident status: identified.
    IncidentIdentified => { en: "Identified", de: "Ursache erkannt", fr: "Cause identifiée" },
    /// Incident status: watching.
    IncidentWatching => { en: "Monitoring", de: "Wird beobachtet", fr: "Sous surveillance" },
    /// Incident status: fixed.
    IncidentFixed => { en: "Resolved", de: "Behoben", fr: "Résolu" },
    /// Impact label.
    Impact => { en: "Impact", de: "Auswirkung", fr: "Impact" },
    /// Impact: none.
    ImpactNone => { en: "None", de: "Keine", fr: "Aucun" },
    /// Impact: maintenance.
    ImpactMaintenance => { en: "Maintenance", de: "Wartung", fr: "Maintenance" },
    /// Impact: minor.
    ImpactMinor => { en: "Minor", de: "Gering", fr: "Mineur" },
    /// Impact: major.
    ImpactMajor => { en: "Major", de: "Erheblich", fr: "Majeur" },
    /// Impact: critical.
    ImpactCritical => { en: "Critical", de: "Kritisch", fr: "Critique" },
    /// Heading of what is happening now: unresolved incidents and maintenance in progress.
    ActiveIncidents => { en: "Happening now", de: "Aktuell", fr: "En cours" },
    /// Stickied incidents heading.
    StickiedIncidents => { en: "Pinned incidents", de: "Angeheftete Vorfälle", fr: "Incidents épinglés" },
    /// Maintenance heading.
    ScheduledMaintenance => { en: "Scheduled maintenance", de: "Geplante Wartungen", fr: "Maintenances planifiées" },
    /// Maintenance phase: upcoming.
    MaintenanceUpcoming => { en: "Upcoming", de: "Bevorstehend", fr: "À venir" },
    /// Maintenance phase: in progress.
    MaintenanceInProgress => { en: "In progress", de: "Läuft", fr: "En cours" },
    /// Maintenance phase: complete.
    MaintenanceComplete => { en: "Completed", de: "Abgeschlossen", fr: "Terminée" },
    /// Timeline heading.
    PastIncidents => { en: "Past incidents", de: "Vergangene Vorfälle", fr: "Incidents passés" },
    /// An empty day.
    NoIncidentsReported => { en: "No incidents reported.", de: "Keine Vorfälle gemeldet.", fr: "Aucun incident signalé." },
    /// An empty period (only disrupted days shown).
    NoIncidentsInPeriod => { en: "No incidents in this period.", de: "Keine Vorfälle in diesem Zeitraum.", fr: "Aucun incident sur cette période." },
    /// Paging: older.
    OlderIncidents => { en: "Older incidents", de: "Ältere Vorfälle", fr: "Incidents plus anciens" },
    /// Paging: newer.
    NewerIncidents => { en: "Newer incidents", de: "Neuere Vorfälle", fr: "Incidents plus récents" },
    /// The paging navigation's label.
    TimelinePages => { en: "Incident history pages", de: "Seiten des Vorfallverlaufs", fr: "Pages de l'historique des incidents" },
    /// Updates heading.
    Updates => { en: "Updates", de: "Aktualisierungen", fr: "Mises à jour" },
    /// No updates.
    NoUpdates => { en: "No updates yet.", de: "Noch keine Aktualisierungen.", fr: "Pas encore de mise à jour." },
    /// Affected components heading.
    AffectedComponents => { en: "Affected components", de: "Betroffene Komponenten", fr: "Composants concernés" },
    /// Maintenance: start.
    WindowStart => { en: "Starts", de: "Beginn", fr: "Début" },
    /// Maintenance: end.
    WindowEnd => { en: "Ends", de: "Ende", fr: "Fin" },
    /// Maintenance without an end.
    NoEndSet => { en: "Not announced", de: "Nicht angekündigt", fr: "Non annoncée" },
    /// Incident: started.
    Started => { en: "Started", de: "Begonnen", fr: "Début" },
    /// Status label.
    Status => { en: "Status", de: "Status", fr: "État" },
    /// Component's group label.
    Group => { en: "Group", de: "Gruppe", fr: "Groupe" },
    /// Component's website label.
    Website => { en: "Website", de: "Website", fr: "Site web" },
    /// Component's recent incidents heading.
    RecentIncidents => { en: "Recent incidents", de: "Letzte Vorfälle", fr: "Incidents récents" },
    /// No recent incidents.
    NoRecentIncidents => { en: "No recent incidents.", de: "Keine aktuellen Vorfälle.", fr: "Aucun incident récent." },
    /// Incident kind label.
    Incident => { en: "Incident", de: "Vorfall", fr: "Incident" },
    /// Maintenance kind label.
    Maintenance => { en: "Maintenance", de: "Wartung", fr: "Maintenance" },
    /// Component kind label.
    Component => { en: "Component", de: "Komponente", fr: "Composant" },
    /// Back link.
    BackToStatus => { en: "Back to the status page", de: "Zurück zur Statusseite", fr: "Retour à la page d'état" },
    /// Times note; `{0}` is the zone name.
    TimesShownIn => { en: "Times are shown in {0}.", de: "Zeiten in {0}.", fr: "Heures affichées en {0}." },
    /// Footer credit.
    PoweredBy => { en: "Powered by Cachet", de: "Betrieben mit Cachet", fr: "Propulsé par Cachet" },
    /// Metrics heading.
    Metrics => { en: "Metrics", de: "Metriken", fr: "Métriques" },
    /// History bars heading.
    UptimeHistory => { en: "Uptime over the last 90 days", de: "Verfügbarkeit der letzten 90 Tage", fr: "Disponibilité sur les 90 derniers jours" },
    /// A component's uptime over the bars' days; `{0}` the percentage.
    UptimePercent => { en: "{0}% uptime", de: "{0} % Verfügbarkeit", fr: "{0} % de disponibilité" },
    /// The left end of the front page's bars.
    NinetyDaysAgo => { en: "90 days ago", de: "vor 90 Tagen", fr: "il y a 90 jours" },
    /// The left end of the front page's bars at a phone's width, where 30 days show.
    ThirtyDaysAgo => { en: "30 days ago", de: "vor 30 Tagen", fr: "il y a 30 jours" },
    /// The right end of the front page's bars.
    TodayLabel => { en: "Today", de: "Heute", fr: "Aujourd’hui" },
    /// Uptime label.
    Uptime => { en: "uptime", de: "Verfügbarkeit", fr: "disponibilité" },
    /// Posted at label.
    Posted => { en: "Posted", de: "Veröffentlicht", fr: "Publié" },
    /// Pinned marker.
    Pinned => { en: "Pinned", de: "Angeheftet", fr: "Épinglé" },
    /// A history bar's label; `{0}` date, `{1}` uptime percentage, `{2}` incidents.
    HistoryDay => { en: "{0}: {1}% uptime, {2}", de: "{0}: {1} % Verfügbarkeit, {2}", fr: "{0} : {1} % de disponibilité, {2}" },
    /// A history bar without data; `{0}` date.
    HistoryNoData => { en: "{0}: no data", de: "{0}: keine Daten", fr: "{0} : aucune donnée" },
    /// No incidents on a day.
    NoIncidents => { en: "no incidents", de: "keine Vorfälle", fr: "aucun incident" },
    /// One incident on a day.
    OneIncident => { en: "1 incident", de: "1 Vorfall", fr: "1 incident" },
    /// Several incidents on a day; `{0}` the number.
    ManyIncidents => { en: "{0} incidents", de: "{0} Vorfälle", fr: "{0} incidents" },
    /// Chart view: last hour.
    ViewLastHour => { en: "last hour", de: "letzte Stunde", fr: "dernière heure" },
    /// Chart view: last 12 hours.
    ViewToday => { en: "last 12 hours", de: "letzte 12 Stunden", fr: "12 dernières heures" },
    /// Chart view: last week.
    ViewWeek => { en: "last week", de: "letzte Woche", fr: "dernière semaine" },
    /// Chart view: last month.
    ViewMonth => { en: "last month", de: "letzter Monat", fr: "dernier mois" },
    /// The range switcher's short label: last hour.
    RangeLastHour => { en: "1 hour", de: "1 Stunde", fr: "1 heure" },
    /// The range switcher's short label: last 12 hours.
    RangeToday => { en: "12 hours", de: "12 Stunden", fr: "12 heures" },
    /// The range switcher's short label: last week.
    RangeWeek => { en: "Week", de: "Woche", fr: "Semaine" },
    /// The range switcher's short label: last month.
    RangeMonth => { en: "Month", de: "Monat", fr: "Mois" },
    /// The range switcher's label; `{0}` is the metric's name.
    ChartRange => { en: "Time range of {0}", de: "Zeitraum von {0}", fr: "Période de {0}" },
    /// A chart's title; `{0}` the metric's name, `{1}` the view (`last week`).
    ChartTitle => { en: "{0} ({1})", de: "{0} ({1})", fr: "{0} ({1})" },
    /// A chart's summary; `{0}` its title, `{1}` minimum, `{2}` maximum, `{3}` last value.
    ChartSummary => { en: "{0}: minimum {1}, maximum {2}, last {3}", de: "{0}: Minimum {1}, Maximum {2}, zuletzt {3}", fr: "{0} : minimum {1}, maximum {2}, dernière valeur {3}" },
    /// A chart without values; `{0}` its title.
    ChartNoData => { en: "{0}: no data", de: "{0}: keine Daten", fr: "{0} : aucune donnée" },
    /// Date range label of the timeline; `{0}` and `{1}` are dates.
    DateRange => { en: "{0} to {1}", de: "{0} bis {1}", fr: "du {0} au {1}" },
    /// Title of the incident feeds; `{0}` is the site name.
    FeedTitle => { en: "{0} - Incident History", de: "{0} – Störungsverlauf", fr: "{0} – Historique des incidents" },
    /// Description of the incident feeds; `{0}` is the site name.
    FeedDescription => { en: "Incidents and their updates from {0}", de: "Störungen und ihre Updates von {0}", fr: "Incidents et leurs mises à jour de {0}" },
    /// Title of the RSS link in a page head.
    FeedLinkRss => { en: "Incident history (RSS)", de: "Störungsverlauf (RSS)", fr: "Historique des incidents (RSS)" },
    /// Title of the Atom link in a page head.
    FeedLinkAtom => { en: "Incident history (Atom)", de: "Störungsverlauf (Atom)", fr: "Historique des incidents (Atom)" },
    /// Title of the iCalendar link in a page head.
    FeedLinkCalendar => { en: "Maintenance calendar (iCalendar)", de: "Wartungskalender (iCalendar)", fr: "Calendrier de maintenance (iCalendar)" },
    /// Heading of the 404 page.
    NotFoundTitle => { en: "Page not found", de: "Seite nicht gefunden", fr: "Page introuvable" },
    /// Text of the 404 page.
    NotFoundText => { en: "There is nothing public at this address.", de: "Unter dieser Adresse gibt es nichts Öffentliches.", fr: "Il n'y a rien de public à cette adresse." },
    /// Heading of the mirror's stand-in for a form (subscribe) while the page is served from its mirror.
    MirrorFormTitle => { en: "Not available right now", de: "Gerade nicht verfügbar", fr: "Indisponible pour le moment" },
    /// Text of the mirror's stand-in for a form.
    MirrorFormText => { en: "This copy of the status page is read-only: subscribing and signing in work on the live site only. Please try again later.", de: "Diese Kopie der Statusseite ist schreibgeschützt: Abonnieren und Anmelden funktionieren nur auf der Live-Seite. Bitte versuchen Sie es später erneut.", fr: "Cette copie de la page de statut est en lecture seule : l'abonnement et la connexion ne fonctionnent que sur le site en direct. Veuillez réessayer plus tard." },
    /// Heading of the 400 page.
    BadRequestTitle => { en: "Bad request", de: "Ungültige Anfrage", fr: "Requête invalide" },
    /// Text of the 400 page.
    BadRequestText => { en: "The address is malformed, for example a date that does not exist.", de: "Die Adresse ist fehlerhaft, zum Beispiel ein Datum, das es nicht gibt.", fr: "L'adresse est mal formée, par exemple une date qui n'existe pas." },
    /// Heading of the page shown when a page cannot be rendered.
    UnavailableTitle => { en: "Temporarily unavailable", de: "Vorübergehend nicht verfügbar", fr: "Temporairement indisponible" },
    /// Text of the page shown when a page cannot be rendered.
    UnavailableText => { en: "The page could not be shown; please try again.", de: "Die Seite konnte nicht angezeigt werden; bitte versuchen Sie es erneut.", fr: "La page n'a pas pu être affichée ; veuillez réessayer." },
    // -- subscription pages and mails --
    /// Link from the status page to the subscribe form.
    SubscribeLink => { en: "Subscribe to updates", de: "Updates abonnieren", fr: "S'abonner aux mises à jour" },
    /// Title of the subscribe page.
    SubscribeTitle => { en: "Subscribe to updates", de: "Updates abonnieren", fr: "S'abonner aux mises à jour" },
    /// Intro of the subscribe page.
    SubscribeIntro => { en: "Get an email when an incident is reported, updated or maintenance is planned.", de: "Erhalten Sie eine E-Mail, wenn ein Vorfall gemeldet oder aktualisiert oder eine Wartung geplant wird.", fr: "Recevez un e-mail lorsqu'un incident est signalé ou mis à jour, ou qu'une maintenance est planifiée." },
    /// Label of the address field.
    SubscribeEmail => { en: "Email address", de: "E-Mail-Adresse", fr: "Adresse e-mail" },
    /// Legend of the component choice.
    SubscribeWhich => { en: "Which updates?", de: "Welche Updates?", fr: "Quelles mises à jour ?" },
    /// Choice: everything.
    SubscribeAll => { en: "All components", de: "Alle Komponenten", fr: "Tous les composants" },
    /// Hint under the component list.
    SubscribeChooseHint => { en: "Tick the components you care about, or none to hear about all of them.", de: "Wählen Sie die Komponenten, die Sie interessieren, oder keine, um über alle informiert zu werden.", fr: "Cochez les composants qui vous intéressent, ou aucun pour être informé de tous." },
    /// Submit button of the subscribe form.
    SubscribeButton => { en: "Subscribe", de: "Abonnieren", fr: "S'abonner" },
    /// Intro of the SMS form on the subscribe page.
    SubscribeSmsIntro => { en: "Or get an SMS when an incident is reported or maintenance is planned.", de: "Oder erhalten Sie eine SMS, wenn ein Vorfall gemeldet oder eine Wartung geplant wird.", fr: "Ou recevez un SMS lorsqu'un incident est signalé ou qu'une maintenance est prévue." },
    /// Label of the mobile number field.
    SubscribePhone => { en: "Mobile number, with + and the country code (such as +14155550123)", de: "Mobilnummer, mit + und Ländervorwahl (zum Beispiel +4915123456789)", fr: "Numéro de mobile, avec + et l'indicatif du pays (par exemple +33612345678)" },
    /// Button of the SMS form.
    SubscribeSmsButton => { en: "Subscribe by SMS", de: "Per SMS abonnieren", fr: "S'abonner par SMS" },
    /// Intro of the chat form on the subscribe page.
    SubscribeChatIntro => { en: "Or post updates into a chat channel (Slack, Mattermost, Discord, Microsoft Teams or Google Chat) through its incoming webhook. A confirmation link is posted into the channel first.", de: "Oder lassen Sie Updates über einen eingehenden Webhook in einen Chat-Kanal posten (Slack, Mattermost, Discord, Microsoft Teams oder Google Chat). Zuerst wird ein Bestätigungslink in den Kanal gepostet.", fr: "Ou publiez les mises à jour dans un canal de discussion (Slack, Mattermost, Discord, Microsoft Teams ou Google Chat) par son webhook entrant. Un lien de confirmation y est d'abord publié." },
    /// Label of the chat form's URL field.
    SubscribeChatUrl => { en: "Incoming webhook URL (https://...)", de: "URL des eingehenden Webhooks (https://...)", fr: "URL du webhook entrant (https://...)" },
    /// Button of the chat form.
    SubscribeChatButton => { en: "Subscribe the channel", de: "Kanal abonnieren", fr: "Abonner le canal" },
    /// After the chat form (the same whether the URL was known or not).
    SubscribeChatSent => { en: "Thank you. If the URL is new, a message with a confirmation link is posted into the channel shortly.", de: "Danke. Ist die URL neu, wird in Kürze eine Nachricht mit einem Bestätigungslink in den Kanal gepostet.", fr: "Merci. Si l'URL est nouvelle, un message avec un lien de confirmation sera bientôt publié dans le canal." },
    /// A chat URL the form refuses.
    InvalidChatUrl => { en: "Enter the https incoming-webhook URL of a Slack, Mattermost, Discord, Microsoft Teams or Google Chat channel on a public host.", de: "Geben Sie die https-URL des eingehenden Webhooks eines Slack-, Mattermost-, Discord-, Microsoft-Teams- oder Google-Chat-Kanals auf einem öffentlichen Host ein.", fr: "Saisissez l'URL https du webhook entrant d'un canal Slack, Mattermost, Discord, Microsoft Teams ou Google Chat sur un hôte public." },
    /// Field error: the number is not a mobile number in international form.
    InvalidPhone => { en: "Please enter a mobile number in international form: + and the country code, then the number.", de: "Bitte geben Sie eine Mobilnummer im internationalen Format ein: + und die Ländervorwahl, dann die Nummer.", fr: "Veuillez saisir un numéro de mobile au format international : + et l'indicatif du pays, puis le numéro." },
    /// Field error: SMS are not sent to the number's country.
    PhoneRegionRefused => { en: "This page does not send SMS to numbers of that country.", de: "Diese Seite sendet keine SMS an Nummern dieses Landes.", fr: "Cette page n'envoie pas de SMS aux numéros de ce pays." },
    /// Title of the code entry page.
    SmsConfirmTitle => { en: "Confirm your number", de: "Nummer bestätigen", fr: "Confirmez votre numéro" },
    /// After the SMS form: a code was (perhaps) sent.
    SmsCodeSent => { en: "If this number can receive updates, we have sent it a code by SMS. Enter it below within 10 minutes.", de: "Wenn diese Nummer Updates empfangen kann, haben wir ihr einen Code per SMS gesendet. Geben Sie ihn innerhalb von 10 Minuten unten ein.", fr: "Si ce numéro peut recevoir des mises à jour, nous lui avons envoyé un code par SMS. Saisissez-le ci-dessous dans les 10 minutes." },
    /// Label of the code field.
    SmsCodeLabel => { en: "Code from the SMS", de: "Code aus der SMS", fr: "Code reçu par SMS" },
    /// The code did not confirm the number.
    SmsCodeWrong => { en: "This code is wrong or no longer valid. Check the latest SMS, or subscribe again for a new code.", de: "Dieser Code ist falsch oder nicht mehr gültig. Prüfen Sie die letzte SMS oder abonnieren Sie erneut, um einen neuen Code zu erhalten.", fr: "Ce code est erroné ou n'est plus valide. Vérifiez le dernier SMS ou abonnez-vous à nouveau pour obtenir un nouveau code." },
    /// The number is confirmed.
    SmsConfirmed => { en: "Your number is confirmed. We have sent it an SMS with a link to choose components; reply STOP to any of our SMS to end the subscription.", de: "Ihre Nummer ist bestätigt. Wir haben ihr eine SMS mit einem Link zur Auswahl der Komponenten gesendet; antworten Sie STOP auf eine unserer SMS, um das Abonnement zu beenden.", fr: "Votre numéro est confirmé. Nous lui avons envoyé un SMS avec un lien pour choisir les composants ; répondez STOP à l'un de nos SMS pour mettre fin à l'abonnement." },
    /// The neutral answer after subscribing (the same for new and known addresses).
    SubscribeSent => { en: "If this address can receive updates, we have sent it an email with a link. Please check your inbox.", de: "Wenn diese Adresse Updates empfangen kann, haben wir ihr eine E-Mail mit einem Link gesendet. Bitte sehen Sie in Ihren Posteingang.", fr: "Si cette adresse peut recevoir des mises à jour, nous lui avons envoyé un e-mail avec un lien. Veuillez consulter votre boîte de réception." },
    /// The subscribe page's answer when this site sends no email.
    SubscribeRecordedNoMail => { en: "Your subscription is recorded, but this site does not send email at the moment, so no confirmation has been sent. Follow this page or its RSS and Atom feeds for updates.", de: "Ihr Abonnement ist gespeichert, aber diese Seite versendet derzeit keine E-Mails, daher wurde keine Bestätigung gesendet. Verfolgen Sie Updates auf dieser Seite oder in ihren RSS- und Atom-Feeds.", fr: "Votre abonnement est enregistré, mais ce site n'envoie pas d'e-mails pour le moment : aucune confirmation n'a été envoyée. Suivez les mises à jour sur cette page ou dans ses flux RSS et Atom." },
    /// The form token expired or is missing.
    FormExpired => { en: "This form has expired. Please reload the page and try again.", de: "Dieses Formular ist abgelaufen. Bitte laden Sie die Seite neu und versuchen Sie es noch einmal.", fr: "Ce formulaire a expiré. Veuillez recharger la page et réessayer." },
    /// Too many subscriptions from one address.
    SubscribeTooMany => { en: "Too many attempts. Please wait a minute and try again.", de: "Zu viele Versuche. Bitte warten Sie eine Minute und versuchen Sie es erneut.", fr: "Trop de tentatives. Veuillez patienter une minute et réessayer." },
    /// Field error: the address is not valid.
    InvalidEmail => { en: "Please enter a valid email address.", de: "Bitte geben Sie eine gültige E-Mail-Adresse ein.", fr: "Veuillez saisir une adresse e-mail valide." },
    /// Field error: an unknown component was chosen.
    InvalidComponents => { en: "Please choose components from the list.", de: "Bitte wählen Sie Komponenten aus der Liste.", fr: "Veuillez choisir des composants dans la liste." },
    /// Subscriptions are switched off.
    SubscriptionsClosed => { en: "Subscriptions are not available on this page.", de: "Abonnements sind auf dieser Seite nicht verfügbar.", fr: "Les abonnements ne sont pas disponibles sur cette page." },
    /// Title of the verification page.
    VerifyTitle => { en: "Confirm your subscription", de: "Abonnement bestätigen", fr: "Confirmez votre abonnement" },
    /// Text of the verification page.
    VerifyIntro => { en: "Press the button to confirm that you want to receive updates at this address.", de: "Drücken Sie die Schaltfläche, um zu bestätigen, dass Sie an diese Adresse Updates erhalten möchten.", fr: "Appuyez sur le bouton pour confirmer que vous souhaitez recevoir des mises à jour à cette adresse." },
    /// Button of the verification page.
    VerifyButton => { en: "Confirm subscription", de: "Abonnement bestätigen", fr: "Confirmer l'abonnement" },
    /// After confirming.
    VerifyDone => { en: "Thank you: your subscription is confirmed.", de: "Danke: Ihr Abonnement ist bestätigt.", fr: "Merci : votre abonnement est confirmé." },
    /// A link that is invalid, used or expired.
    LinkInvalid => { en: "This link is invalid or has expired.", de: "Dieser Link ist ungültig oder abgelaufen.", fr: "Ce lien n'est pas valide ou a expiré." },
    /// Title of the manage page.
    ManageTitle => { en: "Manage your subscription", de: "Abonnement verwalten", fr: "Gérer votre abonnement" },
    /// Button of the manage page.
    ManageSave => { en: "Save", de: "Speichern", fr: "Enregistrer" },
    /// After saving on the manage page.
    ManageSaved => { en: "Your subscription was updated.", de: "Ihr Abonnement wurde aktualisiert.", fr: "Votre abonnement a été mis à jour." },
    /// Title of the unsubscribe page.
    UnsubscribeTitle => { en: "Unsubscribe", de: "Abbestellen", fr: "Se désabonner" },
    /// Text of the unsubscribe page.
    UnsubscribeIntro => { en: "Press the button to stop all emails from this status page.", de: "Drücken Sie die Schaltfläche, um keine E-Mails dieser Statusseite mehr zu erhalten.", fr: "Appuyez sur le bouton pour ne plus recevoir d'e-mails de cette page d'état." },
    /// Button of the unsubscribe page.
    UnsubscribeButton => { en: "Unsubscribe", de: "Abbestellen", fr: "Se désabonner" },
    /// The unsubscribe form under the manage page's components (mail, SMS and chat
    /// subscribers).
    ManageUnsubscribeIntro => { en: "To stop every update from this status page, by email, SMS or chat, unsubscribe:", de: "Um keine Updates dieser Statusseite mehr zu erhalten, per E-Mail, SMS oder Chat, bestellen Sie ab:", fr: "Pour ne plus recevoir aucune mise à jour de cette page d'état, par e-mail, SMS ou chat, désabonnez-vous :" },
    /// After unsubscribing.
    UnsubscribeDone => { en: "You are unsubscribed and will get no more updates from us.", de: "Sie sind abgemeldet und erhalten keine Updates mehr von uns.", fr: "Vous êtes désabonné et ne recevrez plus de mises à jour de notre part." },
    /// Subject of the verification mail; `{0}` is the site name.
    MailVerifySubject => { en: "Confirm your subscription to {0}", de: "Bestätigen Sie Ihr Abonnement von {0}", fr: "Confirmez votre abonnement à {0}" },
    /// SMS with a confirmation code: {0} the site, {1} the code.
    SmsVerifyBody => { en: "{0}: your confirmation code is {1}. It expires in 10 minutes. If you did not ask for status updates by SMS, ignore this message.", de: "{0}: Ihr Bestätigungscode lautet {1}. Er läuft in 10 Minuten ab. Wenn Sie keine Status-Updates per SMS angefordert haben, ignorieren Sie diese Nachricht.", fr: "{0} : votre code de confirmation est {1}. Il expire dans 10 minutes. Si vous n'avez pas demandé de mises à jour d'état par SMS, ignorez ce message." },
    /// SMS to a confirmed SMS subscriber, followed by the manage link: {0} the site.
    SmsSubscribedBody => { en: "{0}: you receive status updates by SMS. Reply STOP to end them, or choose components here:", de: "{0}: Sie erhalten Status-Updates per SMS. Antworten Sie STOP, um sie zu beenden, oder wählen Sie hier Komponenten:", fr: "{0} : vous recevez les mises à jour d'état par SMS. Répondez STOP pour les arrêter, ou choisissez les composants ici :" },
    /// Message posted into a chat channel to confirm its subscription, followed by the link.
    ChatVerifyBody => { en: "Someone, hopefully a member of this channel, asked to post status updates here. Open the link and press the button to confirm. If nobody here asked, ignore this message: nothing more will be posted.", de: "Jemand, hoffentlich ein Mitglied dieses Kanals, möchte hier Status-Updates posten lassen. Öffnen Sie den Link und drücken Sie die Schaltfläche zur Bestätigung. Falls niemand hier das wollte, ignorieren Sie diese Nachricht: Es wird nichts mehr gepostet.", fr: "Quelqu'un, sans doute un membre de ce canal, a demandé à publier ici les mises à jour d'état. Ouvrez le lien et appuyez sur le bouton pour confirmer. Si personne ici ne l'a demandé, ignorez ce message : rien d'autre ne sera publié." },
    /// Message posted into a subscribed chat channel that was subscribed again (or confirmed).
    ChatAlreadyBody => { en: "This channel receives status updates from this page. Use the links below to choose components or to end the updates.", de: "Dieser Kanal erhält Status-Updates dieser Seite. Über die Links unten können Sie Komponenten wählen oder die Updates beenden.", fr: "Ce canal reçoit les mises à jour d'état de cette page. Utilisez les liens ci-dessous pour choisir les composants ou arrêter les mises à jour." },
    /// Body of the verification mail.
    MailVerifyBody => { en: "Someone, hopefully you, asked to receive status updates at this address. Open the link and press the button to confirm. If it was not you, ignore this email: nothing will be sent.", de: "Jemand, hoffentlich Sie, möchte an diese Adresse Status-Updates erhalten. Öffnen Sie den Link und drücken Sie die Schaltfläche zur Bestätigung. Falls Sie es nicht waren, ignorieren Sie diese E-Mail: Es wird nichts gesendet.", fr: "Quelqu'un, sans doute vous, a demandé à recevoir des mises à jour d'état à cette adresse. Ouvrez le lien et appuyez sur le bouton pour confirmer. Si ce n'était pas vous, ignorez cet e-mail : rien ne sera envoyé." },
    /// Subject of the already-subscribed mail; `{0}` is the site name.
    MailAlreadySubject => { en: "You are already subscribed to {0}", de: "Sie haben {0} bereits abonniert", fr: "Vous êtes déjà abonné à {0}" },
    /// Body of the already-subscribed mail.
    MailAlreadyBody => { en: "Someone asked to subscribe this address, which already receives updates. Nothing was changed. Use the link below to change or end your subscription.", de: "Jemand wollte diese Adresse abonnieren, die bereits Updates erhält. Nichts wurde geändert. Über den Link unten können Sie Ihr Abonnement ändern oder beenden.", fr: "Quelqu'un a demandé l'abonnement de cette adresse, qui reçoit déjà les mises à jour. Rien n'a été modifié. Utilisez le lien ci-dessous pour modifier ou arrêter votre abonnement." },
    /// Subject of a new incident; `{0}` is its title.
    MailIncidentNew => { en: "New incident: {0}", de: "Neuer Vorfall: {0}", fr: "Nouvel incident : {0}" },
    /// Subject of an incident update; `{0}` is its title.
    MailIncidentUpdated => { en: "Incident updated: {0}", de: "Vorfall aktualisiert: {0}", fr: "Incident mis à jour : {0}" },
    /// Line of an incident mail; `{0}` is the status.
    MailIncidentStatus => { en: "Status: {0}", de: "Status: {0}", fr: "État : {0}" },
    /// Subject of a component status change; `{0}` is the component.
    MailComponentSubject => { en: "Component status changed: {0}", de: "Komponentenstatus geändert: {0}", fr: "État du composant modifié : {0}" },
    /// Body of a component status change; `{0}` name, `{1}` old, `{2}` new status.
    MailComponentBody => { en: "{0} changed from {1} to {2}.", de: "{0} hat sich von {1} zu {2} geändert.", fr: "{0} est passé de {1} à {2}." },
    /// Subject of scheduled maintenance; `{0}` is its title.
    MailMaintenanceScheduled => { en: "Maintenance scheduled: {0}", de: "Wartung geplant: {0}", fr: "Maintenance planifiée : {0}" },
    /// Subject of started maintenance; `{0}` is its title.
    MailMaintenanceStarted => { en: "Maintenance started: {0}", de: "Wartung begonnen: {0}", fr: "Maintenance commencée : {0}" },
    /// Subject of completed maintenance; `{0}` is its title.
    MailMaintenanceCompleted => { en: "Maintenance completed: {0}", de: "Wartung abgeschlossen: {0}", fr: "Maintenance terminée : {0}" },
    /// Line of a maintenance mail; `{0}` start, `{1}` end.
    MailMaintenanceWindow => { en: "Window: {0} to {1}", de: "Zeitraum: {0} bis {1}", fr: "Période : du {0} au {1}" },
    /// Line of a maintenance mail without a known end; `{0}` start.
    MailMaintenanceStart => { en: "Starts: {0}", de: "Beginn: {0}", fr: "Début : {0}" },
    /// The button to the page of what the mail is about.
    MailView => { en: "View on the status page", de: "Auf der Statusseite ansehen", fr: "Voir sur la page d'état" },
    /// The manage link of every subscriber mail.
    MailManage => { en: "Manage your subscription", de: "Abonnement verwalten", fr: "Gérer votre abonnement" },
    /// The unsubscribe link of every notification.
    MailUnsubscribe => { en: "Unsubscribe", de: "Abbestellen", fr: "Se désabonner" },
    /// Why the reader gets the mail.
    MailWhy => { en: "You receive this email because you subscribed to updates of this status page.", de: "Sie erhalten diese E-Mail, weil Sie Updates dieser Statusseite abonniert haben.", fr: "Vous recevez cet e-mail car vous êtes abonné aux mises à jour de cette page d'état." },
    /// Subject of the password reset mail; `{0}` is the site name.
    MailResetSubject => { en: "Reset your password for {0}", de: "Passwort für {0} zurücksetzen", fr: "Réinitialisez votre mot de passe pour {0}" },
    /// Body of the password reset mail.
    MailResetBody => { en: "Someone asked to reset the password of your account. The link works once and for a short time. If it was not you, ignore this email.", de: "Jemand hat das Zurücksetzen des Passworts Ihres Kontos angefordert. Der Link funktioniert einmal und nur kurze Zeit. Falls Sie es nicht waren, ignorieren Sie diese E-Mail.", fr: "Quelqu'un a demandé la réinitialisation du mot de passe de votre compte. Le lien fonctionne une fois et pour peu de temps. Si ce n'était pas vous, ignorez cet e-mail." },
    /// Button of the password reset mail.
    MailResetButton => { en: "Choose a new password", de: "Neues Passwort wählen", fr: "Choisir un nouveau mot de passe" },
    /// Subject of the invitation mail; `{0}` is the site name.
    MailInviteSubject => { en: "You are invited to {0}", de: "Einladung zu {0}", fr: "Vous êtes invité à {0}" },
    /// Body of the invitation mail; `{0}` is the role.
    MailInviteBody => { en: "You were invited to help run this status page as {0}. The link works once and expires.", de: "Sie wurden eingeladen, diese Statusseite als {0} mitzubetreuen. Der Link funktioniert einmal und läuft ab.", fr: "Vous avez été invité à gérer cette page d'état en tant que {0}. Le lien fonctionne une fois et expire." },
    /// Button of the invitation mail.
    MailInviteButton => { en: "Accept the invitation", de: "Einladung annehmen", fr: "Accepter l'invitation" },
    /// Subject of the test mail; `{0}` is the site name.
    MailTestSubject => { en: "Test mail from {0}", de: "Testnachricht von {0}", fr: "E-mail de test de {0}" },
    /// Body of the test mail.
    MailTestBody => { en: "This is a test: mail delivery works.", de: "Dies ist ein Test: Der Mailversand funktioniert.", fr: "Ceci est un test : l'envoi des e-mails fonctionne." },

    // -- sign-in, setup and invitation pages --
    // (FormExpired and LinkInvalid are shared with the subscription pages above.)
    /// Sign-in page title and button.
    SignIn => { en: "Sign in", de: "Anmelden", fr: "Se connecter" },
    /// Email field.
    EmailAddress => { en: "Email address", de: "E-Mail-Adresse", fr: "Adresse e-mail" },
    /// Password field.
    Password => { en: "Password", de: "Passwort", fr: "Mot de passe" },
    /// Link to the password reset.
    ForgotPassword => { en: "Forgot your password?", de: "Passwort vergessen?", fr: "Mot de passe oublié ?" },
    /// Second factor page title.
    TwoFactorTitle => { en: "Two-factor authentication", de: "Zwei-Faktor-Authentifizierung", fr: "Authentification à deux facteurs" },
    /// Second factor explanation.
    TwoFactorIntro => { en: "Enter the 6-digit code from your authenticator app, or one of your recovery codes.", de: "Geben Sie den 6-stelligen Code aus Ihrer Authenticator-App oder einen Ihrer Wiederherstellungscodes ein.", fr: "Saisissez le code à 6 chiffres de votre application d'authentification, ou l'un de vos codes de récupération." },
    /// Code field.
    Code => { en: "Code", de: "Code", fr: "Code" },
    /// Verify button.
    Verify => { en: "Verify", de: "Bestätigen", fr: "Vérifier" },
    /// Wrong email or password.
    WrongCredentials => { en: "The email address or password is wrong.", de: "E-Mail-Adresse oder Passwort ist falsch.", fr: "L'adresse e-mail ou le mot de passe est incorrect." },
    /// Wrong or replayed code.
    WrongCode => { en: "The code is wrong or was already used.", de: "Der Code ist falsch oder wurde bereits verwendet.", fr: "Le code est incorrect ou a déjà été utilisé." },
    /// Throttled; `{0}` seconds.
    TooManyAttempts => { en: "Too many attempts; try again in {0} seconds.", de: "Zu viele Versuche; versuchen Sie es in {0} Sekunden erneut.", fr: "Trop de tentatives ; réessayez dans {0} secondes." },
    /// Sign-in refused over plain http.
    InsecureSignIn => { en: "Sign-in needs an https address.", de: "Die Anmeldung erfordert eine https-Adresse.", fr: "La connexion nécessite une adresse https." },
    /// Signed out notice.
    SignedOut => { en: "You are signed out.", de: "Sie sind abgemeldet.", fr: "Vous êtes déconnecté." },
    /// Reset page title.
    ResetTitle => { en: "Reset your password", de: "Passwort zurücksetzen", fr: "Réinitialiser votre mot de passe" },
    /// Reset explanation.
    ResetIntro => { en: "Enter your email address. If an account uses it, we send it a link to choose a new password; the link works once, for one hour.", de: "Geben Sie Ihre E-Mail-Adresse ein. Gehört sie zu einem Konto, senden wir einen Link zum Festlegen eines neuen Passworts; er funktioniert einmal, eine Stunde lang.", fr: "Saisissez votre adresse e-mail. Si un compte l'utilise, nous lui envoyons un lien pour choisir un nouveau mot de passe ; il fonctionne une fois, pendant une heure." },
    /// Reset button.
    SendLink => { en: "Send the link", de: "Link senden", fr: "Envoyer le lien" },
    /// Reset requested notice (the same whether or not the account exists).
    ResetSent => { en: "If an account uses this address, a link is on its way. Check your inbox.", de: "Falls ein Konto diese Adresse nutzt, ist ein Link unterwegs. Sehen Sie in Ihrem Posteingang nach.", fr: "Si un compte utilise cette adresse, un lien est en route. Consultez votre boîte de réception." },
    /// New password field.
    NewPassword => { en: "New password", de: "Neues Passwort", fr: "Nouveau mot de passe" },
    /// Password rules hint; `{0}` the minimum length.
    PasswordHint => { en: "At least {0} characters. A few unrelated words make a strong, memorable password.", de: "Mindestens {0} Zeichen. Einige unzusammenhängende Wörter ergeben ein starkes, einprägsames Passwort.", fr: "Au moins {0} caractères. Quelques mots sans rapport forment un mot de passe solide et facile à retenir." },
    /// Set password button.
    SetPassword => { en: "Set the password", de: "Passwort festlegen", fr: "Définir le mot de passe" },
    /// Password reset done.
    PasswordWasReset => { en: "Your password was changed. Sign in with it now.", de: "Ihr Passwort wurde geändert. Melden Sie sich jetzt damit an.", fr: "Votre mot de passe a été modifié. Connectez-vous avec lui maintenant." },
    /// Setup page title.
    SetupTitle => { en: "Set up your status page", de: "Statusseite einrichten", fr: "Configurer votre page d'état" },
    /// Setup explanation.
    SetupIntro => { en: "Enter the setup token the server printed when it started, name the site and create the first admin account.", de: "Geben Sie das Einrichtungstoken ein, das der Server beim Start ausgegeben hat, benennen Sie die Website und legen Sie das erste Administratorkonto an.", fr: "Saisissez le jeton de configuration affiché par le serveur au démarrage, nommez le site et créez le premier compte administrateur." },
    /// Setup token field.
    SetupToken => { en: "Setup token", de: "Einrichtungstoken", fr: "Jeton de configuration" },
    /// Site name field.
    SiteName => { en: "Site name", de: "Name der Website", fr: "Nom du site" },
    /// Name field.
    YourName => { en: "Your name", de: "Ihr Name", fr: "Votre nom" },
    /// Setup button.
    FinishSetup => { en: "Finish setup", de: "Einrichtung abschließen", fr: "Terminer la configuration" },
    /// Setup is closed.
    SetupClosed => { en: "Setup is complete: an admin exists. Sign in instead.", de: "Die Einrichtung ist abgeschlossen: Es gibt bereits einen Administrator. Melden Sie sich stattdessen an.", fr: "La configuration est terminée : un administrateur existe. Connectez-vous plutôt." },
    /// Wrong setup token.
    SetupTokenWrong => { en: "The setup token is wrong or expired. Restart the server to get a new one.", de: "Das Einrichtungstoken ist falsch oder abgelaufen. Starten Sie den Server neu, um ein neues zu erhalten.", fr: "Le jeton de configuration est incorrect ou expiré. Redémarrez le serveur pour en obtenir un nouveau." },
    /// Invitation page title.
    InviteTitle => { en: "Accept your invitation", de: "Einladung annehmen", fr: "Accepter votre invitation" },
    /// Invitation explanation; `{0}` the address, `{1}` the role.
    InviteIntro => { en: "You are invited as {1} with the address {0}. Choose your name and a password.", de: "Sie sind als {1} mit der Adresse {0} eingeladen. Wählen Sie Ihren Namen und ein Passwort.", fr: "Vous êtes invité en tant que {1} avec l'adresse {0}. Choisissez votre nom et un mot de passe." },
    /// Invitation button.
    CreateAccount => { en: "Create my account", de: "Mein Konto anlegen", fr: "Créer mon compte" },
    /// Account created notice.
    AccountCreated => { en: "Your account is ready. Sign in with your address and password.", de: "Ihr Konto ist bereit. Melden Sie sich mit Ihrer Adresse und Ihrem Passwort an.", fr: "Votre compte est prêt. Connectez-vous avec votre adresse et votre mot de passe." },
    /// Back to sign-in link.
    BackToSignIn => { en: "Back to sign-in", de: "Zurück zur Anmeldung", fr: "Retour à la connexion" },

}

const MONTHS: [[&str; 12]; 3] = [
    [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ],
    [
        "Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sep.", "Okt.", "Nov.",
        "Dez.",
    ],
    [
        "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
        "déc.",
    ],
];

/// Replaces `{0}`, `{1}`… in `template` by `args` in one pass, so an argument that itself
/// contains `{1}` (a metric named so, say) is kept as written, never substituted again.
/// A placeholder without an argument stays as it is.
fn fill(template: &str, args: &[&str]) -> String {
    let mut out =
        String::with_capacity(template.len() + args.iter().map(|a| a.len()).sum::<usize>());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let arg = after.find('}').and_then(|close| {
            let index: usize = after[..close].parse().ok()?;
            Some((args.get(index)?, close))
        });
        match arg {
            Some((a, close)) => {
                out.push_str(a);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The catalogue for one locale: messages and date formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Catalog {
    lang: Lang,
    dates: DateStyle,
}

impl Catalog {
    /// The catalogue of a locale, writing dates in the locale's medium style.
    #[must_use]
    pub fn new(lang: Lang) -> Self {
        Self {
            lang,
            dates: DateStyle::Medium,
        }
    }

    /// The same catalogue writing dates in the `date_format` setting's style.
    #[must_use]
    pub fn with_date_style(self, dates: DateStyle) -> Self {
        Self { dates, ..self }
    }

    /// Its locale.
    #[must_use]
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// A message.
    #[must_use]
    pub fn t(&self, key: Msg) -> &'static str {
        lookup(self.lang, key)
    }

    /// A message with its `{0}`, `{1}`… placeholders replaced by `args` (plain text; the
    /// template escapes the result).
    #[must_use]
    pub fn tf(&self, key: Msg, args: &[&str]) -> String {
        fill(self.t(key), args)
    }

    /// A decimal number written with the locale's separator: `99.3` stays in English,
    /// becomes `99,3` in German and French. `number` is what Rust's formatting wrote
    /// (an optional sign, digits, at most one `.`).
    #[must_use]
    pub fn decimal(&self, number: &str) -> String {
        match self.lang {
            Lang::En => number.to_owned(),
            Lang::De | Lang::Fr => number.replacen('.', ",", 1),
        }
    }

    /// The short month name (1 to 12).
    #[must_use]
    pub fn month(&self, month: u32) -> &'static str {
        let row = match self.lang {
            Lang::En => &MONTHS[0],
            Lang::De => &MONTHS[1],
            Lang::Fr => &MONTHS[2],
        };
        usize::try_from(month.saturating_sub(1))
            .ok()
            .and_then(|i| row.get(i))
            .copied()
            .unwrap_or("")
    }

    /// A date in the locale's format: `Nov 22, 2026`, `22. Nov. 2026`, `22 nov. 2026`.
    #[must_use]
    pub fn date(&self, d: NaiveDate) -> String {
        let (y, mo, day) = (d.year(), d.month(), d.day());
        match (self.dates, self.lang) {
            (DateStyle::Iso, _) => format!("{y:04}-{mo:02}-{day:02}"),
            (DateStyle::Dmy, Lang::De) => format!("{day:02}.{mo:02}.{y:04}"),
            (DateStyle::Dmy, _) => format!("{day:02}/{mo:02}/{y:04}"),
            (DateStyle::Mdy, _) => format!("{mo:02}/{day:02}/{y:04}"),
            (DateStyle::Medium, lang) => {
                let m = self.month(mo);
                match lang {
                    Lang::En => format!("{m} {day}, {y}"),
                    Lang::De => format!("{day}. {m} {y}"),
                    Lang::Fr => format!("{day} {m} {y}"),
                }
            }
        }
    }

    /// A date and time (24-hour clock everywhere; `zone` is the zone's abbreviation).
    #[must_use]
    pub fn date_time<T: Datelike + Timelike>(&self, t: &T, zone: &str) -> String {
        let date = NaiveDate::from_ymd_opt(t.year(), t.month(), t.day())
            .map(|d| self.date(d))
            .unwrap_or_default();
        let (h, min) = (t.hour(), t.minute());
        match self.lang {
            Lang::En => format!("{date}, {h:02}:{min:02} {zone}"),
            Lang::De => format!("{date}, {h:02}:{min:02} Uhr {zone}"),
            Lang::Fr => format!("{date} à {h:02}:{min:02} {zone}"),
        }
    }
}

/// The label of a component's (or the page's) effective status, in the catalogue's language
/// (pages, badges and mails name statuses alike).
pub fn status_label(cat: &Catalog, s: EffectiveStatus) -> &'static str {
    cat.t(match s {
        EffectiveStatus::Unknown => Msg::StatusUnknown,
        EffectiveStatus::Operational => Msg::StatusOperational,
        EffectiveStatus::PerformanceIssues => Msg::StatusPerformanceIssues,
        EffectiveStatus::PartialOutage => Msg::StatusPartialOutage,
        EffectiveStatus::MajorOutage => Msg::StatusMajorOutage,
        EffectiveStatus::UnderMaintenance => Msg::StatusUnderMaintenance,
    })
}

/// The label of an incident's status, in the catalogue's language.
pub fn incident_status_label(cat: &Catalog, s: IncidentStatus) -> &'static str {
    cat.t(match s {
        IncidentStatus::Scheduled => Msg::IncidentScheduled,
        IncidentStatus::Investigating => Msg::IncidentInvestigating,
        IncidentStatus::Identified => Msg::IncidentIdentified,
        IncidentStatus::Watching => Msg::IncidentWatching,
        IncidentStatus::Fixed => Msg::IncidentFixed,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn placeholders(s: &str) -> Vec<String> {
        (0..10)
            .map(|i| format!("{{{i}}}"))
            .filter(|p| s.contains(p.as_str()))
            .collect()
    }

    #[test]
    fn every_key_exists_in_every_locale() {
        for key in Msg::ALL {
            let en = Catalog::new(Lang::En).t(*key);
            for lang in Lang::ALL {
                let text = Catalog::new(*lang).t(*key);
                assert!(!text.trim().is_empty(), "{key:?} empty in {lang:?}");
                assert_eq!(
                    placeholders(text),
                    placeholders(en),
                    "{key:?} placeholders in {lang:?}"
                );
            }
        }
        for lang in Lang::ALL {
            for m in 1..=12 {
                assert!(!Catalog::new(*lang).month(m).is_empty());
            }
        }
    }

    #[test]
    fn locales_are_chosen_by_setting_or_accept_language() {
        assert_eq!(negotiate("de", false, Some("fr")), Lang::De);
        assert_eq!(negotiate("pt-BR", false, None), Lang::En);
        assert_eq!(negotiate("en", true, Some("fr-CH, de;q=0.9")), Lang::Fr);
        assert_eq!(negotiate("en", true, Some("fr;q=0.5, de;q=0.9")), Lang::De);
        assert_eq!(negotiate("fr", true, Some("ja, *;q=0.1")), Lang::Fr);
        assert_eq!(negotiate("de", true, Some("fr;q=0, ja")), Lang::De);
        assert_eq!(negotiate("de", true, Some("fr;q=2")), Lang::De);
        assert_eq!(negotiate("de", true, Some(";;,,q=")), Lang::De);
        assert_eq!(negotiate("en", true, Some("DE-de;q=0.8")), Lang::De);
    }

    #[test]
    fn dates_use_localised_month_names() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 5).unwrap();
        assert_eq!(Catalog::new(Lang::En).date(d), "Mar 5, 2026");
        assert_eq!(Catalog::new(Lang::De).date(d), "5. März 2026");
        assert_eq!(Catalog::new(Lang::Fr).date(d), "5 mars 2026");
    }

    #[test]
    fn the_date_format_setting_picks_a_closed_style() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 5).unwrap();
        let styled = |lang, style| Catalog::new(lang).with_date_style(style).date(d);
        assert_eq!(styled(Lang::En, DateStyle::Iso), "2026-03-05");
        assert_eq!(styled(Lang::Fr, DateStyle::Iso), "2026-03-05");
        assert_eq!(styled(Lang::En, DateStyle::Dmy), "05/03/2026");
        assert_eq!(styled(Lang::De, DateStyle::Dmy), "05.03.2026");
        assert_eq!(styled(Lang::En, DateStyle::Mdy), "03/05/2026");
        assert_eq!(styled(Lang::De, DateStyle::Medium), "5. März 2026");
        // A stored pattern is never interpreted: only the four names parse.
        assert!(DateStyle::parse("%Y-%m-%d").is_err());
        assert!(DateStyle::parse("l jS F Y").is_err());
    }

    #[test]
    fn placeholders_are_filled_once_so_arguments_are_never_reinterpreted() {
        let cat = Catalog::new(Lang::En);
        // An argument holding a placeholder is written as it is, not substituted again.
        assert_eq!(
            cat.tf(Msg::ChartSummary, &["{1} {3}", "1", "2", "{0}"]),
            "{1} {3}: minimum 1, maximum 2, last {0}"
        );
        assert_eq!(fill("{0}{9}{x}{", &["a"]), "a{9}{x}{");
        assert_eq!(fill("no braces", &["a"]), "no braces");
        assert_eq!(fill("{1}{0}", &["a", "b"]), "ba");
    }

    #[test]
    fn decimals_take_the_locales_separator() {
        assert_eq!(Catalog::new(Lang::En).decimal("-99.30"), "-99.30");
        assert_eq!(Catalog::new(Lang::De).decimal("-99.30"), "-99,30");
        assert_eq!(Catalog::new(Lang::Fr).decimal("100"), "100");
    }
}
