//! Why the cluster could not be read, in words: the server, what was being done, and for 401
//! and 403 the permission that is missing, read from the Status kube-apiserver sends.

use std::fmt;
use std::io;
use std::time::Duration;

use kube::core::Status;

use super::Resource;

/// The cluster could not be read.
#[derive(Debug)]
pub struct ReadError {
    /// The API server's URL, when a configuration was found.
    pub server: Option<String>,
    /// What was being listed, when a request was made.
    pub resource: Option<Resource>,
    pub kind: ReadErrorKind,
}

#[derive(Debug)]
pub enum ReadErrorKind {
    /// No usable client configuration (no kubeconfig, an unknown context, a bad file).
    Config(String),
    /// 401: the server did not accept the credentials.
    Unauthorized { message: String },
    /// 403: the credentials may not list the resource at the cluster scope.
    Forbidden {
        /// The resource the server refused, from the Status details (else the one asked).
        resource: String,
        /// The user the server names in its message, when it names one.
        user: Option<String>,
        message: String,
    },
    /// Any other error answer of the API server.
    Api {
        code: u16,
        reason: String,
        message: String,
    },
    /// No answer within the request timeout.
    Timeout {
        after: Option<Duration>,
        cause: String,
    },
    /// The server could not be reached at all (refused, reset, no route, TLS).
    Unreachable { cause: String },
    /// The list's continue token kept expiring (410 Gone), every restart included.
    Expired { restarts: u32, chunk_size: u32 },
    /// Anything else: a malformed answer, a request that cannot be built.
    Other(String),
}

impl ReadError {
    pub(super) fn new(server: Option<String>, resource: Resource, kind: ReadErrorKind) -> Self {
        ReadError {
            server,
            resource: Some(resource),
            kind,
        }
    }

    pub(super) fn config(server: Option<String>, message: String) -> Self {
        ReadError {
            server,
            resource: None,
            kind: ReadErrorKind::Config(message),
        }
    }

    /// A failed request of kube's client, classified.
    pub(super) fn from_kube(
        server: &str,
        resource: Resource,
        timeout: Option<Duration>,
        error: kube::Error,
    ) -> Self {
        let kind = match error {
            kube::Error::Api(status) => from_status(&status, resource),
            other => {
                // kube's own wrapper ("ServiceError: ...") says nothing its causes do not.
                let cause = match std::error::Error::source(&other) {
                    Some(source) => causes(source),
                    None => causes(&other),
                };
                match io_kind(&other) {
                    Some(io::ErrorKind::TimedOut) => ReadErrorKind::Timeout {
                        after: timeout,
                        cause,
                    },
                    _ if is_transport(&other) => ReadErrorKind::Unreachable { cause },
                    _ => ReadErrorKind::Other(cause),
                }
            }
        };
        ReadError::new(Some(server.to_owned()), resource, kind)
    }

    /// The HTTP status the server answered, when it answered one.
    pub fn http_status(&self) -> Option<u16> {
        match &self.kind {
            ReadErrorKind::Unauthorized { .. } => Some(401),
            ReadErrorKind::Forbidden { .. } => Some(403),
            ReadErrorKind::Api { code, .. } => Some(*code),
            ReadErrorKind::Expired { .. } => Some(410),
            _ => None,
        }
    }

    /// A short machine-readable name of the kind of failure.
    pub fn code(&self) -> &'static str {
        match self.kind {
            ReadErrorKind::Config(_) => "config",
            ReadErrorKind::Unauthorized { .. } => "unauthorized",
            ReadErrorKind::Forbidden { .. } => "forbidden",
            ReadErrorKind::Api { .. } => "api-error",
            ReadErrorKind::Timeout { .. } => "timeout",
            ReadErrorKind::Unreachable { .. } => "unreachable",
            ReadErrorKind::Expired { .. } => "expired",
            ReadErrorKind::Other(_) => "other",
        }
    }
}

fn from_status(status: &Status, asked: Resource) -> ReadErrorKind {
    match status.code {
        401 => ReadErrorKind::Unauthorized {
            message: status.message.clone(),
        },
        403 => ReadErrorKind::Forbidden {
            resource: status
                .details
                .as_ref()
                .map(|d| d.kind.as_str())
                .filter(|k| !k.is_empty())
                .unwrap_or(asked.plural())
                .to_owned(),
            user: user_in(&status.message),
            message: status.message.clone(),
        },
        code => ReadErrorKind::Api {
            code,
            reason: status.reason.clone(),
            message: status.message.clone(),
        },
    }
}

/// The user kube-apiserver's RBAC message names: `... User "alice" cannot list ...`.
fn user_in(message: &str) -> Option<String> {
    let (_, rest) = message.split_once("User \"")?;
    let (user, _) = rest.split_once('"')?;
    (!user.is_empty()).then(|| user.to_owned())
}

/// The first `io::Error` kind in an error's chain of causes.
fn io_kind(error: &(dyn std::error::Error + 'static)) -> Option<io::ErrorKind> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = next {
        if let Some(io) = e.downcast_ref::<io::Error>() {
            return Some(io.kind());
        }
        next = e.source();
    }
    None
}

/// Whether the request never got an answer: the connection failed (refused, reset, TLS, DNS).
fn is_transport(error: &kube::Error) -> bool {
    match error {
        kube::Error::HyperError(_) | kube::Error::Service(_) => true,
        kube::Error::RustlsTls(_) => true,
        _ => io_kind(error).is_some(),
    }
}

/// An error and its causes on one line, each said once (`client error (Connect): tcp connect
/// error: Connection refused (os error 111)`).
pub(super) fn causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = next {
        let text = e.to_string();
        // Wrappers often repeat their source's text: keep the most specific words once.
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.retain(|p| !text.contains(p.as_str()));
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// What `audit` needs, said once for 401 and 403.
const NEEDS: &str = "audit needs credentials allowed to list namespaces and services at the \
                     cluster scope, e.g. a ClusterRole made with `kubectl create clusterrole \
                     eastwest-guard-audit --verb=list --resource=namespaces,services` bound to \
                     them";

fn duration_words(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let server = self.server.as_deref().unwrap_or("the cluster");
        let listing = self
            .resource
            .map(|r| format!("list {} at the cluster scope", r.plural()))
            .unwrap_or_else(|| "read the cluster".to_owned());
        match &self.kind {
            ReadErrorKind::Config(message) => match &self.server {
                Some(s) => write!(f, "cannot use the cluster at {s}: {message}"),
                None => f.write_str(message),
            },
            ReadErrorKind::Unauthorized { message } => {
                write!(
                    f,
                    "cannot {listing} on {server}: the API server did not accept the \
                     credentials (401 Unauthorized"
                )?;
                if !message.is_empty() && message != "Unauthorized" {
                    write!(f, ": {message}")?;
                }
                write!(
                    f,
                    "): they are missing, expired or revoked; log in again or choose another \
                     --context. {NEEDS}"
                )
            }
            ReadErrorKind::Forbidden {
                resource,
                user,
                message,
            } => {
                let who = match user {
                    Some(u) => format!("user \"{u}\""),
                    None => "the credentials".to_owned(),
                };
                write!(
                    f,
                    "cannot {listing} on {server}: permission denied (403 Forbidden): {who} \
                     may not list {resource} at the cluster scope. {NEEDS}"
                )?;
                if !message.is_empty() {
                    write!(f, ". (kube-apiserver said: {message})")?;
                }
                Ok(())
            }
            ReadErrorKind::Api {
                code,
                reason,
                message,
            } => {
                write!(
                    f,
                    "cannot {listing} on {server}: the API server answered {code}"
                )?;
                if !reason.is_empty() {
                    write!(f, " {reason}")?;
                }
                if !message.is_empty() {
                    write!(f, ": {message}")?;
                }
                Ok(())
            }
            ReadErrorKind::Timeout { after, cause } => {
                write!(f, "cannot {listing} on {server}: no answer")?;
                if let Some(after) = after {
                    write!(f, " within {} (--request-timeout)", duration_words(*after))?;
                }
                write!(f, " ({cause})")
            }
            ReadErrorKind::Unreachable { cause } => write!(
                f,
                "cannot {listing} on {server}: the API server cannot be reached ({cause}); is \
                 the server URL of the kubeconfig right, and is the cluster up?"
            ),
            ReadErrorKind::Expired {
                restarts,
                chunk_size,
            } => write!(
                f,
                "cannot {listing} on {server}: the list's continue token expired (410 Gone) \
                 {} times, each restart included: reading the list takes longer than the \
                 server keeps its snapshot. Try again, or raise --chunk-size (now {chunk_size}) \
                 so fewer pages are needed",
                restarts + 1
            ),
            ReadErrorKind::Other(message) => write!(f, "cannot {listing} on {server}: {message}"),
        }
    }
}

impl std::error::Error for ReadError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_is_read_from_rbac_messages() {
        assert_eq!(
            user_in(
                "services is forbidden: User \"system:serviceaccount:ops:audit\" cannot list \
                 resource \"services\" in API group \"\" at the cluster scope"
            )
            .as_deref(),
            Some("system:serviceaccount:ops:audit")
        );
        assert_eq!(user_in("forbidden"), None);
        assert_eq!(user_in("User \"\" cannot"), None);
    }

    #[test]
    fn causes_are_said_once() {
        let inner = io::Error::new(io::ErrorKind::ConnectionRefused, "connection refused");
        let outer = io::Error::other(Wrapper(inner));
        assert_eq!(causes(&outer), "wrapped: connection refused");
    }

    #[derive(Debug)]
    struct Wrapper(io::Error);
    impl fmt::Display for Wrapper {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("wrapped")
        }
    }
    impl std::error::Error for Wrapper {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn forbidden_names_the_permission() {
        let status: Status = serde_json::from_value(serde_json::json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "services is forbidden: User \"alice\" cannot list resource \"services\" in API group \"\" at the cluster scope",
            "reason": "Forbidden", "details": {"kind": "services"}, "code": 403
        }))
        .unwrap();
        let e = ReadError::new(
            Some("https://10.0.0.1:6443".into()),
            Resource::Services,
            from_status(&status, Resource::Services),
        );
        let text = e.to_string();
        assert!(text.contains("https://10.0.0.1:6443"), "{text}");
        assert!(
            text.contains("user \"alice\" may not list services at the cluster scope"),
            "{text}"
        );
        assert_eq!(e.http_status(), Some(403));
    }
}
