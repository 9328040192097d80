//! `eastwest-guard certs`: a CA and a serving certificate for the in-cluster webhook Service,
//! written in the layout the self-managed kustomize overlay consumes.
//!
//! kube-apiserver calls a Service-referenced webhook at `https://NAME.NS.svc:443/...` and
//! verifies the server certificate against the webhook configuration's `caBundle`, with
//! `NAME.NS.svc` as the server name. The serving certificate therefore carries exactly the
//! names a client in the cluster can use for the Service: `NAME`, `NAME.NS`, `NAME.NS.svc`
//! and `NAME.NS.svc.cluster.local`.
//!
//! The CA key lives only in memory: it signs the one serving certificate and is dropped, so
//! no file anywhere can mint another certificate the API server would trust. Rotation makes a
//! new CA each time; the `caBundle` keeps the previous CA (read from the old `ca.crt` in the
//! output directory, or from the old caBundle patches) next to the new one, so the API server
//! trusts both the old and the new serving certificate while the pods pick up the new Secret.
//! `certs/README.md` has the steps.

use std::fmt::Write as _;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, SerialNumber,
};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject as _;

use crate::rules::names::dns1123_label;

/// Name of the Secret the Deployment mounts (`manifests/base/deployment.yaml`).
pub const SECRET_NAME: &str = "eastwest-guard-tls";
/// Name of both webhook configurations (`manifests/base/webhooks.yaml`).
pub const WEBHOOK_CONFIGURATION_NAME: &str = "eastwest-guard";
/// The webhook in the ValidatingWebhookConfiguration (the strategic-merge key of the patch).
pub const VALIDATING_WEBHOOK_NAME: &str = "validate.eastwest-guard.tetrate.io";
/// The webhook in the MutatingWebhookConfiguration.
pub const MUTATING_WEBHOOK_NAME: &str = "mutate.eastwest-guard.tetrate.io";

/// Longest validity `--days` accepts: ten years. Longer-lived certificates only postpone the
/// rotation a team has to practise anyway.
pub const MAX_DAYS: u32 = 3650;

/// The output files, in the layout `manifests/overlays/self-managed` expects (it includes the
/// output directory as a kustomize Component).
pub const CA_CERT_FILE: &str = "ca.crt";
pub const TLS_CERT_FILE: &str = "tls.crt";
pub const TLS_KEY_FILE: &str = "tls.key";
pub const SECRET_FILE: &str = "secret.yaml";
/// The caBundle patches, one document a file: the kustomize of kubectl 1.30 and older (5.0)
/// cannot read a patch file of two documents.
pub const VALIDATING_PATCH_FILE: &str = "cabundle-patch-validating.yaml";
pub const MUTATING_PATCH_FILE: &str = "cabundle-patch-mutating.yaml";
/// What runs before the split wrote: both patches in one file. Read for the previous CA, and,
/// where it is there, rewritten with the new bundle too: a GitOps kustomization that lists it
/// keeps building (and trusting the right CAs) until it is moved to the two files.
pub const OLD_PATCH_FILE: &str = "cabundle-patch.yaml";
pub const KUSTOMIZATION_FILE: &str = "kustomization.yaml";
/// Keeps the directory out of git wherever it is: it holds a private key.
const GITIGNORE_FILE: &str = ".gitignore";

/// Where the shipped self-managed overlays read the output, from the repository root: their
/// kustomization lists it as [`OVERLAY_COMPONENT`].
const SHIPPED_OUT: &str = "certs/out";
/// The overlays, from the repository root, in the order a rollout applies them: every deny a
/// warning first, then enforcing. The warn-only one builds on the enforcing one, so both read
/// the output through the enforcing one's kustomization.
const WARN_ONLY_OVERLAY: &str = "manifests/overlays/self-managed-warn-only";
const ENFORCING_OVERLAY: &str = "manifests/overlays/self-managed";
/// How [`ENFORCING_OVERLAY`]'s kustomization names [`SHIPPED_OUT`] under `components:`.
const OVERLAY_COMPONENT: &str = "../../../certs/out";

/// Certificates are valid from this long before they are made, so a node or API server whose
/// clock runs a little behind does not reject a certificate that is brand new.
const CLOCK_SKEW_ALLOWANCE: Duration = Duration::from_secs(60 * 60);

#[derive(clap::Args, Debug)]
pub struct CertsArgs {
    /// Directory to write into (created with mode 0700 if missing). The self-managed overlay
    /// reads `certs/out` (git-ignored).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Name of the webhook Service (a DNS-1035 label, as Kubernetes requires of Service
    /// names). The manifests use `eastwest-guard`.
    #[arg(long, value_name = "NAME", value_parser = parse_service_name)]
    pub service: String,

    /// Namespace of the webhook Service (a DNS-1123 label). The manifests use
    /// `eastwest-guard-system`.
    #[arg(long, value_name = "NS", value_parser = parse_namespace)]
    pub namespace: String,

    /// Validity of the CA and the serving certificate, in days (1 to 3650).
    #[arg(long, value_name = "N", default_value_t = 365, value_parser = parse_days)]
    pub days: u32,
}

/// Kubernetes validates Service names as DNS-1035 labels: a DNS-1123 label that starts with a
/// letter.
fn parse_service_name(s: &str) -> Result<String, String> {
    dns1123_label(s).map_err(|why| format!("{why} (Service names are DNS-1035 labels)"))?;
    if !s.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err(
            "must start with a lower-case letter (Service names are DNS-1035 labels)".into(),
        );
    }
    Ok(s.to_owned())
}

fn parse_namespace(s: &str) -> Result<String, String> {
    dns1123_label(s)?;
    Ok(s.to_owned())
}

fn parse_days(s: &str) -> Result<u32, String> {
    let days: u32 = s
        .parse()
        .map_err(|_| format!("must be a whole number of days from 1 to {MAX_DAYS}"))?;
    if days == 0 || days > MAX_DAYS {
        return Err(format!("must be from 1 to {MAX_DAYS} days (got {days})"));
    }
    Ok(days)
}

/// Checks the arguments again, for callers that build `CertsArgs` without clap.
fn validate(args: &CertsArgs) -> Result<(), String> {
    parse_service_name(&args.service).map_err(|e| format!("--service {:?}: {e}", args.service))?;
    parse_namespace(&args.namespace)
        .map_err(|e| format!("--namespace {:?}: {e}", args.namespace))?;
    parse_days(&args.days.to_string()).map_err(|e| format!("--days: {e}"))?;
    Ok(())
}

/// The DNS names kube-apiserver (and anything else in the cluster) can reach the Service by.
pub fn service_dns_names(service: &str, namespace: &str) -> Vec<String> {
    vec![
        service.to_owned(),
        format!("{service}.{namespace}"),
        format!("{service}.{namespace}.svc"),
        format!("{service}.{namespace}.svc.cluster.local"),
    ]
}

pub fn run(args: CertsArgs) -> ExitCode {
    if let Err(e) = validate(&args) {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    match write_all(&args) {
        Ok(summary) => {
            print!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum CertsError {
    #[error("making the certificates: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("the system random number generator failed")]
    Random,
    #[error("the system clock is before 1970")]
    Clock,
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> CertsError + '_ {
    move |source| CertsError::Io {
        path: path.to_owned(),
        source,
    }
}

/// What one run made, all in PEM.
struct Issued {
    ca_pem: String,
    cert_pem: String,
    key_pem: String,
    expires_at: String,
}

fn issue(service: &str, namespace: &str, days: u32) -> Result<Issued, CertsError> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|_| CertsError::Clock)?;
    let epoch = rcgen::date_time_ymd(1970, 1, 1);
    let not_before_unix = now.saturating_sub(CLOCK_SKEW_ALLOWANCE);
    let not_after_unix = now + Duration::from_secs(u64::from(days) * 86_400);
    // Both times are bounded (days <= MAX_DAYS), far inside what an OffsetDateTime holds.
    let not_before = epoch + not_before_unix;
    let not_after = epoch + not_after_unix;
    // `time::OffsetDateTime` is rcgen's type, not a dependency of ours: format it by hand.
    macro_rules! utc {
        ($t:expr) => {{
            let t = $t;
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            )
        }};
    }
    let made_at = utc!(epoch + now);
    let expires_at = utc!(not_after);

    // The CA: signs server certificates only (path length 0), lives as long as the one
    // certificate it signs. Its subject carries the time it was made, so an operator can
    // tell the CAs in a rotation bundle apart.
    let ca_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let mut ca_params = CertificateParams::default();
    ca_params.distinguished_name = DistinguishedName::new();
    ca_params.distinguished_name.push(
        DnType::CommonName,
        format!("eastwest-guard webhook CA {made_at}"),
    );
    ca_params
        .distinguished_name
        .push(DnType::OrganizationName, "eastwest-guard");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca_params.not_before = not_before;
    ca_params.not_after = not_after;
    ca_params.serial_number = Some(random_serial()?);
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let ca_pem = ca_cert.pem();
    let issuer = Issuer::new(ca_params, ca_key);

    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let mut params = CertificateParams::new(service_dns_names(service, namespace))?;
    params.distinguished_name = DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, format!("{service}.{namespace}.svc"));
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    params.not_before = not_before;
    params.not_after = not_after;
    params.serial_number = Some(random_serial()?);
    let cert = params.signed_by(&key, &issuer)?;

    Ok(Issued {
        ca_pem,
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        expires_at,
    })
}

/// A positive, non-zero 128-bit serial number from the system's secure random source.
fn random_serial() -> Result<SerialNumber, CertsError> {
    let mut bytes = [0u8; 16];
    rustls::crypto::ring::default_provider()
        .secure_random
        .fill(&mut bytes)
        .map_err(|_| CertsError::Random)?;
    bytes[0] = (bytes[0] & 0x7f) | 0x01;
    Ok(SerialNumber::from_slice(&bytes))
}

/// The CA a previous run left in `DIR/ca.crt`, if it is still a CA that has not expired: the
/// serving certificate it signed may still be in use, so the new `caBundle` keeps trusting it.
/// Without `ca.crt` (a GitOps checkout holds only the committed patches), the CA that run made
/// is read from the first certificate of a patch's `caBundle`: the validating one, else the
/// mutating one, else the single file of older runs.
fn previous_ca(dir: &Path) -> Option<String> {
    if let Some(ca) = fs::read_to_string(dir.join(CA_CERT_FILE))
        .ok()
        .and_then(|pem| first_valid_ca(&pem))
    {
        return Some(ca);
    }
    [VALIDATING_PATCH_FILE, MUTATING_PATCH_FILE, OLD_PATCH_FILE]
        .iter()
        .find_map(|file| ca_of_patch(&fs::read_to_string(dir.join(file)).ok()?))
}

/// The first CA of a patch's `caBundle`, read as a formatter may have left it: `caBundle:`
/// then the value plain or in either quotes.
fn ca_of_patch(patch: &str) -> Option<String> {
    let (_, rest) = patch.split_once("caBundle:")?;
    let value = rest.trim_start_matches([' ', '\t']);
    let value = value.strip_prefix(['"', '\'']).unwrap_or(value);
    let encoded = value
        .split(['"', '\'', '\n', '\r', ' ', '\t'])
        .next()
        .unwrap_or_default();
    let bundle = String::from_utf8(BASE64.decode(encoded).ok()?).ok()?;
    first_valid_ca(&bundle)
}

/// The first certificate of a PEM text, as written, if it is a CA that has not expired.
fn first_valid_ca(pem: &str) -> Option<String> {
    const END: &str = "-----END CERTIFICATE-----";
    let start = pem.find("-----BEGIN CERTIFICATE-----")?;
    let end = start + pem[start..].find(END)? + END.len();
    let block = &pem[start..end];
    let der = CertificateDer::from_pem_slice(block.as_bytes()).ok()?;
    let (_, cert) = x509_parser::parse_x509_certificate(&der).ok()?;
    (cert.is_ca() && cert.validity().is_valid()).then(|| format!("{block}\n"))
}

fn write_all(args: &CertsArgs) -> Result<String, CertsError> {
    let dir = &args.out;
    create_private_dir(dir)?;
    let had_patch = [VALIDATING_PATCH_FILE, MUTATING_PATCH_FILE, OLD_PATCH_FILE]
        .iter()
        .any(|file| dir.join(file).exists());
    let previous = previous_ca(dir);
    let issued = issue(&args.service, &args.namespace, args.days)?;

    let mut bundle = issued.ca_pem.clone();
    if let Some(prev) = &previous {
        if !bundle.ends_with('\n') {
            bundle.push('\n');
        }
        bundle.push_str(prev);
    }

    let generated = render_header(
        args,
        &issued.expires_at,
        "This directory holds a private key: never commit it.",
    );
    // The patches and the Component hold certificates only, and are what GitOps commits.
    let public = render_header(
        args,
        &issued.expires_at,
        "This file holds no key (tls.key and secret.yaml do: never commit those).",
    );
    // The key first: if anything fails after, no file refers to a key that is not there.
    write_atomic(&dir.join(TLS_KEY_FILE), issued.key_pem.as_bytes(), 0o600)?;
    write_atomic(&dir.join(TLS_CERT_FILE), issued.cert_pem.as_bytes(), 0o644)?;
    write_atomic(
        &dir.join(SECRET_FILE),
        render_secret(&generated, args, &issued).as_bytes(),
        0o600,
    )?;
    for (file, kind, webhook) in [
        (
            VALIDATING_PATCH_FILE,
            "ValidatingWebhookConfiguration",
            VALIDATING_WEBHOOK_NAME,
        ),
        (
            MUTATING_PATCH_FILE,
            "MutatingWebhookConfiguration",
            MUTATING_WEBHOOK_NAME,
        ),
    ] {
        write_atomic(
            &dir.join(file),
            render_cabundle_patch(&public, kind, webhook, &bundle).as_bytes(),
            0o644,
        )?;
    }
    write_atomic(
        &dir.join(KUSTOMIZATION_FILE),
        render_kustomization(&public).as_bytes(),
        0o644,
    )?;
    // Written last: its presence means the set above is complete, and the next run reads it
    // as the previous CA.
    write_atomic(&dir.join(CA_CERT_FILE), issued.ca_pem.as_bytes(), 0o644)?;
    // The single patch file of older runs: its CA is in the new bundle, and the kustomization
    // no longer lists it. Left behind, it would be committed as if it were still in use.
    let old_patch = dir.join(OLD_PATCH_FILE);
    let rewrote_old_patch = old_patch.exists();
    if rewrote_old_patch {
        let both = [
            ("ValidatingWebhookConfiguration", VALIDATING_WEBHOOK_NAME),
            ("MutatingWebhookConfiguration", MUTATING_WEBHOOK_NAME),
        ]
        .map(|(kind, webhook)| render_cabundle_patch("", kind, webhook, &bundle))
        .join("---\n");
        write_atomic(&old_patch, format!("{public}---\n{both}").as_bytes(), 0o644)?;
    }
    // Whatever directory this is, git leaves it alone: it holds a private key.
    write_atomic(
        &dir.join(GITIGNORE_FILE),
        b"# Written by `eastwest-guard certs`: this directory holds a private key. Never commit it.\n*\n",
        0o644,
    )?;

    let mut s = String::new();
    let _ = writeln!(
        s,
        "wrote {}: CA, serving certificate and key for {}, valid until {}",
        dir.display(),
        service_dns_names(&args.service, &args.namespace).join(", "),
        issued.expires_at
    );
    let _ = writeln!(
        s,
        "  {TLS_KEY_FILE} and {SECRET_FILE} hold the private key (mode 0600; never commit them)"
    );
    if rewrote_old_patch {
        let _ = writeln!(
            s,
            "  also rewrote {OLD_PATCH_FILE} (both patches in one file, as earlier versions \
             wrote it) for kustomizations that list it; kubectl 1.30 and older cannot read a \
             patch file of two documents: list {VALIDATING_PATCH_FILE} and \
             {MUTATING_PATCH_FILE} instead (git add -f them), then delete it"
        );
    }
    if previous.is_some() {
        let _ = writeln!(
            s,
            "  {VALIDATING_PATCH_FILE}, {MUTATING_PATCH_FILE}: caBundle trusts the new CA and \
             the previous one, so pods still serving the old certificate keep working during \
             the rollout"
        );
    } else if had_patch {
        // A rerun that finds no previous CA loses the overlap: say so, never silently.
        let _ = writeln!(
            s,
            "  warning: no valid previous CA in {CA_CERT_FILE} or the old patches, so the \
             caBundle trusts only the new CA: pods still serving the old certificate fail \
             until they load the new Secret (certs/README.md, Rotation)"
        );
    }
    let mut written = vec![
        CA_CERT_FILE,
        TLS_CERT_FILE,
        TLS_KEY_FILE,
        SECRET_FILE,
        VALIDATING_PATCH_FILE,
        MUTATING_PATCH_FILE,
        KUSTOMIZATION_FILE,
    ];
    if rewrote_old_patch {
        written.push(OLD_PATCH_FILE);
    }
    written.push(GITIGNORE_FILE);
    s.push_str(&render_next(dir, &written, had_patch || previous.is_some()));
    Ok(s)
}

/// The repository whose shipped overlays read `dir`: the one `dir` is the [`SHIPPED_OUT`] of.
fn checkout_of(dir: &Path) -> Option<PathBuf> {
    let dir = fs::canonicalize(dir).ok()?;
    let root = dir.parent()?.parent()?;
    (dir.ends_with(SHIPPED_OUT) && is_checkout(root)).then(|| root.to_owned())
}

fn is_checkout(root: &Path) -> bool {
    root.join(ENFORCING_OVERLAY)
        .join(KUSTOMIZATION_FILE)
        .is_file()
}

/// The path from directory `from` to `to`, both absolute and canonical: kustomize refuses an
/// absolute path under `components:`.
fn relative_path(from: &Path, to: &Path) -> PathBuf {
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut path = PathBuf::new();
    for _ in common..from.len() {
        path.push("..");
    }
    path.extend(&to[common..]);
    path
}

/// What to do next with what `dir` now holds. Written into the directory the shipped overlays
/// read, the overlays to apply, in the rollout's order: warn-only first (every deny a
/// warning), enforcing once the warnings are understood; on a rotation, the one already
/// running, again. Written anywhere else, first how the overlays come to read it: they read
/// [`SHIPPED_OUT`], whatever `--out` was.
fn render_next(dir: &Path, written: &[&str], rotation: bool) -> String {
    let cwd = std::env::current_dir().and_then(fs::canonicalize).ok();
    let mut s = String::new();
    // Where the overlays are, when not in the working directory: commands a user can paste.
    let (root, lead) = match checkout_of(dir) {
        Some(root) if Some(&root) == cwd.as_ref() => (None, "next, from the repository root"),
        Some(root) => (Some(root), "next"),
        None => {
            s.push_str(&render_elsewhere(dir, written, cwd.as_deref()));
            (None, "then, from the repository root")
        }
    };
    let overlay = |name: &str| match &root {
        Some(root) => root.join(name).display().to_string(),
        None => name.to_owned(),
    };
    let (warn_only, enforcing) = (overlay(WARN_ONLY_OVERLAY), overlay(ENFORCING_OVERLAY));
    if rotation {
        let width = warn_only.len();
        let _ = writeln!(
            s,
            "{lead}: apply the overlay that runs again, so the Secret and both caBundles change \
             together (certs/README.md, Rotation):\n  \
             kubectl apply -k {enforcing:<width$}   (enforcing)\n  \
             kubectl apply -k {warn_only:<width$}   (still in the warn-only rollout)"
        );
    } else {
        let _ = writeln!(
            s,
            "{lead} (certs/README.md):\n  \
             1. kubectl apply -k {warn_only}   (every deny is a warning)\n  \
             2. once the warnings are understood: kubectl apply -k {enforcing}"
        );
    }
    s
}

/// For a directory the shipped overlays do not read: the files, and the two ways to have the
/// overlays read them.
fn render_elsewhere(dir: &Path, written: &[&str], cwd: Option<&Path>) -> String {
    // From a checkout, the exact path to write; kustomize takes a relative one only.
    let component = match (cwd.filter(|cwd| is_checkout(cwd)), fs::canonicalize(dir)) {
        (Some(cwd), Ok(dir)) => relative_path(&cwd.join(ENFORCING_OVERLAY), &dir)
            .display()
            .to_string(),
        _ => format!(
            "the path of {} relative to {ENFORCING_OVERLAY}, as kustomize takes no absolute \
             path there",
            dir.display()
        ),
    };
    format!(
        "  files: {files}\n\
         next: the shipped overlays ({ENFORCING_OVERLAY}, and {WARN_ONLY_OVERLAY} built on it) \
         read {SHIPPED_OUT} of the repository, not {dir}. Either:\n  \
         - copy the files into {SHIPPED_OUT} (cp -p keeps {TLS_KEY_FILE} and {SECRET_FILE} \
         owner-only), or\n  \
         - point the overlay at {dir}: in {ENFORCING_OVERLAY}/{KUSTOMIZATION_FILE}, under \
         components:, replace {OVERLAY_COMPONENT} with {component}; a kustomization of your \
         own lists it under components: the same way\n",
        files = written.join(", "),
        dir = dir.display(),
    )
}

fn create_private_dir(dir: &Path) -> Result<(), CertsError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(io_err(dir))?;
    if !dir.is_dir() {
        return Err(CertsError::Io {
            path: dir.to_owned(),
            source: io::Error::new(io::ErrorKind::NotADirectory, "not a directory"),
        });
    }
    Ok(())
}

/// Writes through a temporary file in the same directory and renames it into place, so a
/// reader (or a crash) never sees half a file, and the mode is right from the first byte.
fn write_atomic(path: &Path, contents: &[u8], mode: u32) -> Result<(), CertsError> {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{file_name}.tmp-{}", std::process::id()));
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let result = (|| {
        let mut file = options.open(&tmp).map_err(io_err(&tmp))?;
        file.write_all(contents).map_err(io_err(&tmp))?;
        file.sync_all().map_err(io_err(&tmp))?;
        fs::rename(&tmp, path).map_err(io_err(path))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn render_header(args: &CertsArgs, expires_at: &str, note: &str) -> String {
    format!(
        "# Written by `eastwest-guard certs --service {} --namespace {} --days {}`.\n\
         # The serving certificate expires at {expires_at}; rotate well before then\n\
         # (certs/README.md). {note}\n",
        args.service, args.namespace, args.days
    )
}

/// The Secret the Deployment mounts: `kubernetes.io/tls`, with `ca.crt` as cert-manager
/// writes it, so both overlays give the pod the same files.
fn render_secret(header: &str, args: &CertsArgs, issued: &Issued) -> String {
    format!(
        "{header}apiVersion: v1\n\
         kind: Secret\n\
         metadata:\n\
         \x20 name: {SECRET_NAME}\n\
         \x20 namespace: {namespace}\n\
         \x20 labels:\n\
         \x20   app.kubernetes.io/name: eastwest-guard\n\
         \x20   app.kubernetes.io/component: webhook-certificate\n\
         type: kubernetes.io/tls\n\
         data:\n\
         \x20 tls.crt: \"{crt}\"\n\
         \x20 tls.key: \"{key}\"\n\
         \x20 ca.crt: \"{ca}\"\n",
        namespace = args.namespace,
        crt = BASE64.encode(&issued.cert_pem),
        key = BASE64.encode(&issued.key_pem),
        ca = BASE64.encode(&issued.ca_pem),
    )
}

/// The strategic-merge patch of one webhook configuration; `webhooks` merges on `name`, so
/// only `clientConfig.caBundle` changes.
fn render_cabundle_patch(header: &str, kind: &str, webhook: &str, bundle_pem: &str) -> String {
    let bundle = BASE64.encode(bundle_pem);
    format!(
        "{header}apiVersion: admissionregistration.k8s.io/v1\n\
         kind: {kind}\n\
         metadata:\n\
         \x20 name: {WEBHOOK_CONFIGURATION_NAME}\n\
         webhooks:\n\
         \x20 - name: {webhook}\n\
         \x20   clientConfig:\n\
         \x20     caBundle: \"{bundle}\"\n"
    )
}

/// A kustomize Component: the self-managed overlay lists this directory under `components`,
/// which adds the Secret and applies the caBundle patch to the base's webhook configurations.
fn render_kustomization(header: &str) -> String {
    format!(
        "{header}apiVersion: kustomize.config.k8s.io/v1alpha1\n\
         kind: Component\n\
         resources:\n\
         \x20 - {SECRET_FILE}\n\
         patches:\n\
         \x20 - path: {VALIDATING_PATCH_FILE}\n\
         \x20 - path: {MUTATING_PATCH_FILE}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_names_are_dns_1035_labels() {
        assert!(parse_service_name("eastwest-guard").is_ok());
        assert!(parse_service_name("a").is_ok());
        assert!(parse_service_name("1guard").is_err());
        assert!(parse_service_name("Guard").is_err());
        assert!(parse_service_name("guard-").is_err());
        assert!(parse_service_name("guard.svc").is_err());
        assert!(parse_service_name("").is_err());
        assert!(parse_service_name(&"a".repeat(64)).is_err());
        assert!(parse_service_name(&"a".repeat(63)).is_ok());
    }

    #[test]
    fn namespaces_are_dns_1123_labels() {
        assert!(parse_namespace("eastwest-guard-system").is_ok());
        assert!(parse_namespace("1ns").is_ok());
        assert!(parse_namespace("-ns").is_err());
        assert!(parse_namespace("ns_1").is_err());
        assert!(parse_namespace("a.b").is_err());
    }

    #[test]
    fn days_are_bounded() {
        assert_eq!(parse_days("1"), Ok(1));
        assert_eq!(parse_days("3650"), Ok(3650));
        assert!(parse_days("0").is_err());
        assert!(parse_days("3651").is_err());
        assert!(parse_days("-1").is_err());
        assert!(parse_days("ten").is_err());
    }

    #[test]
    fn dns_names_are_what_kube_apiserver_checks() {
        assert_eq!(
            service_dns_names("g", "ns"),
            ["g", "g.ns", "g.ns.svc", "g.ns.svc.cluster.local"]
        );
    }

    #[test]
    fn relative_paths_climb_to_the_common_directory() {
        let rel = |from: &str, to: &str| relative_path(Path::new(from), Path::new(to));
        assert_eq!(
            rel("/r/manifests/overlays/self-managed", "/r/certs/out"),
            Path::new("../../../certs/out")
        );
        assert_eq!(rel("/r/a", "/r/a/b"), Path::new("b"));
        assert_eq!(rel("/r/a/b", "/x"), Path::new("../../../x"));
    }

    #[test]
    fn validate_rejects_what_clap_would() {
        let args = CertsArgs {
            out: PathBuf::from("x"),
            service: "ok".into(),
            namespace: "ok".into(),
            days: 0,
        };
        assert!(validate(&args).is_err_and(|e| e.starts_with("--days")));
    }
}
