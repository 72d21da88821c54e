//! WebDAV XML: the request bodies CalendarBot sends and a reader for `207 Multi-Status`.
//!
//! Servers pick their own prefixes (`d:`, `ns0:`, none), so elements are matched by
//! namespace + local name, never by prefix: quick-xml's namespace resolver builds a
//! small owned tree first. Entities other than the five predefined ones and character
//! references are dropped (no DTD expansion), and the tree's depth is bounded, so a
//! hostile body costs its size (already capped by the client) and no more.

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

pub const DAV: &str = "DAV:";
pub const CALDAV: &str = "urn:ietf:params:xml:ns:caldav";
pub const CALSERVER: &str = "http://calendarserver.org/ns/";
pub const APPLE: &str = "http://apple.com/ns/ical/";

/// Deeper than any multistatus needs (response/propstat/prop/x/href is 5).
const MAX_DEPTH: usize = 64;

/// An element: namespace, local name, children and its own text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    pub ns: String,
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    pub text: String,
}

impl Element {
    pub fn is(&self, ns: &str, name: &str) -> bool {
        self.ns == ns && self.name == name
    }

    /// The first child with this name.
    pub fn child(&self, ns: &str, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.is(ns, name))
    }

    pub fn children_named<'a>(
        &'a self,
        ns: &'a str,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.is(ns, name))
    }

    /// Trimmed text of the first child with this name.
    pub fn child_text(&self, ns: &str, name: &str) -> Option<String> {
        self.child(ns, name).map(|c| c.text.trim().to_string())
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the server's XML could not be read")]
pub struct XmlError;

/// Parses a whole document into its root element.
pub fn parse(body: &str) -> Result<Element, XmlError> {
    let mut reader = NsReader::from_str(body);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let (ns, event) = reader.read_resolved_event().map_err(|_| XmlError)?;
        let ns = match ns {
            ResolveResult::Bound(n) => n.0.to_string(),
            _ => String::new(),
        };
        match event {
            Event::Start(_) | Event::Empty(_) if stack.len() >= MAX_DEPTH => return Err(XmlError),
            Event::Start(e) => stack.push(element(ns, &e)),
            Event::Empty(e) => {
                let el = element(ns, &e);
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                let el = stack.pop().ok_or(XmlError)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.into_inner());
                }
            }
            Event::GeneralRef(r) => {
                if let Some(top) = stack.last_mut() {
                    let name = r.into_inner().into_owned();
                    let ch = match name.as_str() {
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "amp" => Some('&'),
                        "apos" => Some('\''),
                        "quot" => Some('"'),
                        n => quick_xml::events::BytesRef::new(n)
                            .resolve_char_ref()
                            .ok()
                            .flatten(),
                    };
                    if let Some(ch) = ch {
                        top.text.push(ch);
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err(XmlError);
    }
    root.ok_or(XmlError)
}

fn element(ns: String, e: &quick_xml::events::BytesStart<'_>) -> Element {
    let attrs = e
        .attributes()
        .flatten()
        .map(|a| {
            (
                a.key.local_name().as_ref().to_string(),
                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .map(|v| v.into_owned())
                    .unwrap_or_default(),
            )
        })
        .collect();
    Element {
        ns,
        name: e.local_name().as_ref().to_string(),
        attrs,
        children: Vec::new(),
        text: String::new(),
    }
}

/// One `<response>` of a multistatus, flattened.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Response {
    pub href: String,
    /// The response-level status code (sync-collection's 404 for a deleted member).
    pub status: Option<u16>,
    /// The `<prop>` children of the propstats with a 2xx status.
    pub props: Vec<Element>,
}

impl Response {
    pub fn prop(&self, ns: &str, name: &str) -> Option<&Element> {
        self.props.iter().find(|p| p.is(ns, name))
    }

    pub fn prop_text(&self, ns: &str, name: &str) -> Option<String> {
        self.prop(ns, name)
            .map(|p| p.text.trim().to_string())
            .filter(|t| !t.is_empty())
    }

    /// The text of the `<href>` inside a property (current-user-principal, home set).
    pub fn prop_href(&self, ns: &str, name: &str) -> Option<String> {
        self.prop(ns, name)
            .and_then(|p| p.child_text(DAV, "href"))
            .filter(|t| !t.is_empty())
    }
}

/// A parsed multistatus: its responses and the sync-token of a sync-collection report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Multistatus {
    pub responses: Vec<Response>,
    pub sync_token: Option<String>,
}

/// `HTTP/1.1 404 Not Found` → 404.
fn status_code(line: &str) -> Option<u16> {
    line.split_whitespace().nth(1)?.parse().ok()
}

pub fn parse_multistatus(body: &str) -> Result<Multistatus, XmlError> {
    let root = parse(body)?;
    if !root.is(DAV, "multistatus") {
        return Err(XmlError);
    }
    let mut out = Multistatus {
        sync_token: root.child_text(DAV, "sync-token").filter(|t| !t.is_empty()),
        ..Default::default()
    };
    for r in root.children_named(DAV, "response") {
        let Some(href) = r.child_text(DAV, "href") else {
            continue;
        };
        let mut resp = Response {
            href,
            status: r.child_text(DAV, "status").and_then(|s| status_code(&s)),
            props: Vec::new(),
        };
        for ps in r.children_named(DAV, "propstat") {
            let ok = ps
                .child_text(DAV, "status")
                .and_then(|s| status_code(&s))
                .is_none_or(|c| (200..300).contains(&c));
            if let (true, Some(prop)) = (ok, ps.child(DAV, "prop")) {
                resp.props.extend(prop.children.iter().cloned());
            }
        }
        out.responses.push(resp);
    }
    Ok(out)
}

/// Escapes text for an XML element body.
pub fn escape(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

/// A PROPFIND for the given `(namespace, name)` properties.
pub fn propfind(props: &[(&str, &str)]) -> String {
    let mut body = String::from(
        r#"<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:cs="http://calendarserver.org/ns/" xmlns:ic="http://apple.com/ns/ical/"><d:prop>"#,
    );
    for (ns, name) in props {
        let prefix = match *ns {
            DAV => "d",
            CALDAV => "c",
            CALSERVER => "cs",
            _ => "ic",
        };
        body.push_str(&format!("<{prefix}:{name}/>"));
    }
    body.push_str("</d:prop></d:propfind>");
    body
}

/// RFC 6578 sync-collection; an empty token asks for the whole collection.
pub fn sync_collection(token: Option<&str>) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><d:sync-collection xmlns:d="DAV:"><d:sync-token>{}</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>"#,
        escape(token.unwrap_or(""))
    )
}

/// RFC 4791 calendar-multiget of these hrefs (as the server wrote them).
pub fn calendar_multiget(hrefs: &[String]) -> String {
    let mut body = String::from(
        r#"<?xml version="1.0" encoding="utf-8"?><c:calendar-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/><c:calendar-data/></d:prop>"#,
    );
    for h in hrefs {
        body.push_str(&format!("<d:href>{}</d:href>", escape(h)));
    }
    body.push_str("</c:calendar-multiget>");
    body
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_do_not_matter_and_failed_propstats_are_dropped() {
        let body = r#"<ns0:multistatus xmlns:ns0="DAV:" xmlns:ns3="urn:ietf:params:xml:ns:caldav">
          <ns0:response><ns0:href>/user/calendars/work/</ns0:href>
            <ns0:propstat><ns0:status>HTTP/1.1 200 OK</ns0:status><ns0:prop>
              <ns0:displayname>Work &amp; more &#x263A;</ns0:displayname>
              <ns0:resourcetype><ns0:collection/><ns3:calendar/></ns0:resourcetype>
            </ns0:prop></ns0:propstat>
            <ns0:propstat><ns0:status>HTTP/1.1 404 Not Found</ns0:status><ns0:prop><ns0:getetag/></ns0:prop></ns0:propstat>
          </ns0:response>
          <response xmlns="DAV:"><href>/gone.ics</href><status>HTTP/1.1 404 Not Found</status></response>
          <ns0:sync-token>tok-2</ns0:sync-token>
        </ns0:multistatus>"#;
        let ms = parse_multistatus(body).unwrap();
        assert_eq!(ms.sync_token.as_deref(), Some("tok-2"));
        assert_eq!(ms.responses.len(), 2);
        let r = &ms.responses[0];
        assert_eq!(
            r.prop_text(DAV, "displayname").as_deref(),
            Some("Work & more ☺")
        );
        assert!(r
            .prop(DAV, "resourcetype")
            .unwrap()
            .child(CALDAV, "calendar")
            .is_some());
        assert!(r.prop(DAV, "getetag").is_none());
        assert_eq!(ms.responses[1].status, Some(404));
    }

    #[test]
    fn not_xml_or_too_deep_is_an_error() {
        assert_eq!(
            parse_multistatus("<html><body>login</body></html>"),
            Err(XmlError)
        );
        assert_eq!(parse("<a><b></a>"), Err(XmlError));
        let deep = "<a>".repeat(100) + &"</a>".repeat(100);
        assert_eq!(parse(&deep), Err(XmlError));
        // An internal entity is not expanded (no billion laughs).
        let lol = r#"<!DOCTYPE d [<!ENTITY x "xxxxxxxx">]><d:multistatus xmlns:d="DAV:"><d:sync-token>&x;</d:sync-token></d:multistatus>"#;
        assert_eq!(parse_multistatus(lol).unwrap().sync_token, None);
    }

    #[test]
    fn request_bodies_escape_their_values() {
        assert!(sync_collection(Some("a<b")).contains("<d:sync-token>a&lt;b</d:sync-token>"));
        assert!(
            calendar_multiget(&["/c/a&b.ics".into()]).contains("<d:href>/c/a&amp;b.ics</d:href>")
        );
        assert!(propfind(&[(APPLE, "calendar-color")]).contains("<ic:calendar-color/>"));
    }
}
