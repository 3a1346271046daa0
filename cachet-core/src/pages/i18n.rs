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
    /// Date range label of the timeline; `{0}` and `{1}` are dates.
    DateRange => { en: "{0} to {1}", de: "{0} bis {1}", fr: "du {0} au {1}" },
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

/// The catalogue for one locale: messages and date formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Catalog {
    lang: Lang,
}

impl Catalog {
    /// The catalogue of a locale.
    #[must_use]
    pub fn new(lang: Lang) -> Self {
        Self { lang }
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
        let mut out = self.t(key).to_owned();
        for (i, a) in args.iter().enumerate() {
            out = out.replace(&format!("{{{i}}}"), a);
        }
        out
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
        let m = self.month(d.month());
        match self.lang {
            Lang::En => format!("{m} {}, {}", d.day(), d.year()),
            Lang::De => format!("{}. {m} {}", d.day(), d.year()),
            Lang::Fr => format!("{} {m} {}", d.day(), d.year()),
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn placeholders(s: &str) -> Vec<String> {
        (0..4)
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
}
