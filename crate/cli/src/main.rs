//! `siegel`: sign, encrypt, decrypt, verify and inspect S/MIME mail from the command line.
//!
//! Mail is read from standard input and written to standard output. Passwords come only from an
//! environment variable or a file, never from the command line (where `ps` would show them).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use siegel::alg::{Cipher, IdentifierKind, KeyTransport, SignatureScheme, SigningDigest};
use siegel::envelope::EncryptOptions;
use siegel::identity::Identity;
use siegel::sign::{ChainInclusion, SignOptions};
use siegel::smime::{self, Layer, SignMode};
use siegel::trust::crl::Crl;
use siegel::trust::store::{ImportSummary, TrustStore};
use siegel::trust::validate::MissingRevocation;
use siegel::verify::{Fetcher, RevocationSource, Verdict, VerifyOptions};

mod bench;
mod fetch;
mod pretty;

#[derive(Parser)]
#[command(name = "siegel", version, about = "S/MIME 4.0 for mail: sign, encrypt, decrypt, verify, inspect")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct Password {
    /// Read the password from this environment variable.
    #[arg(long, value_name = "VAR", conflicts_with = "password_file")]
    password_env: Option<String>,
    /// Read the password from the first line of this file.
    #[arg(long, value_name = "FILE")]
    password_file: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Sign the mail on stdin (multipart/signed unless --opaque).
    Sign {
        /// The signer's PKCS#12 file.
        #[arg(long, value_name = "ID.p12")]
        identity: PathBuf,
        #[command(flatten)]
        password: Password,
        /// Opaque signing (application/pkcs7-mime; smime-type=signed-data).
        #[arg(long)]
        opaque: bool,
        /// Digest algorithm.
        #[arg(long, default_value = "sha256", value_parser = ["sha256", "sha384", "sha512"])]
        digest: String,
        /// Sign with RSASSA-PSS instead of PKCS#1 v1.5.
        #[arg(long)]
        pss: bool,
        /// Which chain certificates to include.
        #[arg(long, default_value = "without-root", value_parser = ["none", "without-root", "with-root"])]
        chain: String,
        /// The signingTime attribute to write (RFC 3339); default now. For tests and re-creating old mail.
        #[arg(long, value_name = "RFC3339")]
        signing_time: Option<String>,
    },
    /// Encrypt the mail on stdin to the given certificates (add your own to read it later).
    Encrypt {
        /// A recipient's certificate (PEM or DER; a PEM file may hold several). Repeatable.
        #[arg(long = "to", value_name = "CERT", required = true)]
        to: Vec<PathBuf>,
        /// Content cipher.
        #[arg(long, default_value = "aes-256-gcm", value_parser = ["aes-256-gcm", "aes-128-gcm", "aes-256-cbc", "aes-128-cbc"])]
        cipher: String,
        /// Key transport.
        #[arg(long, default_value = "rsa-pkcs1", value_parser = ["rsa-pkcs1", "rsa-oaep"])]
        key_transport: String,
        /// Name recipients by subjectKeyIdentifier instead of issuer and serial number.
        #[arg(long)]
        ski: bool,
        /// With --trust, every recipient certificate must validate (RFC 5280) for key encipherment
        /// and email protection, or nothing is encrypted.
        #[command(flatten)]
        verify: VerifyArgs,
    },
    /// Decrypt the mail on stdin with any key of the given identities.
    Decrypt {
        /// A PKCS#12 file; repeat for older identities (all share one password).
        #[arg(long, value_name = "ID.p12", required = true)]
        identity: Vec<PathBuf>,
        #[command(flatten)]
        password: Password,
    },
    /// Verify the signed mail on stdin; prints a JSON report; exit 0 only if trusted.
    Verify {
        #[command(flatten)]
        verify: VerifyArgs,
        /// Write the signed content (the mail without its signature) to this file.
        #[arg(long, value_name = "FILE")]
        content_out: Option<PathBuf>,
    },
    /// Decrypt and verify every layer of the mail on stdin; the plain mail goes to stdout,
    /// the JSON report to stderr.
    Open {
        /// PKCS#12 files to decrypt with (repeatable; one password).
        #[arg(long, value_name = "ID.p12")]
        identity: Vec<PathBuf>,
        #[command(flatten)]
        password: Password,
        #[command(flatten)]
        verify: VerifyArgs,
    },
    /// Describe a .p12, certificate, CMS object or mail.
    Inspect {
        /// The file.
        file: PathBuf,
        #[command(flatten)]
        password: Password,
    },
    /// Work with trusted-CA collections (PEM, DER, PKCS#7 .p7b/.p7c, Windows .sst).
    Trust {
        #[command(subcommand)]
        command: TrustCommand,
    },
    /// Time sign, encrypt, decrypt and verify natively (a benchmark, not a test).
    Bench {
        /// Message sizes in bytes.
        #[arg(long, value_delimiter = ',', default_values_t = [1024usize, 102_400, 1_048_576])]
        sizes: Vec<usize>,
        /// Repetitions per measurement (the median is printed).
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Content cipher (aes-256-gcm, aes-256-cbc, ...).
        #[arg(long, default_value = "aes-256-gcm")]
        cipher: String,
        /// Encrypt to the recipient's certificate this many times (default: to the recipient and the sender).
        #[arg(long)]
        recipients: Option<usize>,
        /// The keys: rsa (Alice to Bob, RSA-2048), p256 (Erin, EC P-256) or p384 (Frank, EC P-384).
        #[arg(long, default_value = "rsa")]
        keys: String,
        /// One JSON object per size instead of the table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum TrustCommand {
    /// Print the certificates of one or more collection files as a JSON array (subject, issuer,
    /// validity, fingerprint, ..., and "role": "root" or "intermediate"); each file's import summary
    /// goes to stderr.
    Inspect {
        /// The collection files (PEM, DER, .p7b/.p7c, .sst); their certificates are merged.
        #[arg(value_name = "FILE", required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Args)]
struct VerifyArgs {
    /// Trusted CA collection (PEM, DER, .p7b/.p7c or .sst); repeatable. Its self-issued
    /// (subject = issuer) certificates are the trusted roots, the others serve as intermediates.
    #[arg(long, value_name = "ROOTS")]
    trust: Vec<PathBuf>,
    /// Extra intermediate certificates (same formats, never trusted as roots); repeatable.
    #[arg(long, value_name = "CERTS")]
    intermediates: Vec<PathBuf>,
    /// Verify as of this time (RFC 3339) instead of now.
    #[arg(long, value_name = "RFC3339")]
    time: Option<String>,
    /// Accept SHA-1 signatures (old mail).
    #[arg(long)]
    allow_sha1: bool,
    /// A CRL file (PEM or DER) to check revocation with; repeatable. Turns revocation checking on.
    #[arg(long, value_name = "FILE")]
    crl: Vec<PathBuf>,
    /// Fetch CRLs from the certificates' http:// distribution points, and ask their http:// OCSP
    /// responders, for what the given CRLs leave undecided. Turns revocation checking on.
    #[arg(long)]
    fetch_crls: bool,
    /// A DER OCSP response to check revocation with; repeatable. Turns revocation checking on.
    #[arg(long, value_name = "FILE")]
    ocsp_response: Vec<PathBuf>,
    /// Seconds to wait for one CRL download.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    crl_timeout: u64,
    /// What a certificate no CRL covers means when revocation is checked: unknown (exit 1, the
    /// verdict "unknown") or fail (not trusted).
    #[arg(long, value_name = "unknown|fail", default_value = "unknown")]
    missing_crl: String,
    /// A certificate that names no CRL distribution point or OCSP responder passes the revocation check
    /// (its CA publishes no status), instead of leaving it unknown.
    #[arg(long)]
    accept_unpublished: bool,
}

/// A failure with the exit code it maps to.
struct Failure {
    code: u8,
    message: String,
}

impl From<siegel::Error> for Failure {
    fn from(e: siegel::Error) -> Failure {
        Failure { code: 2, message: e.to_string() }
    }
}

fn fail(message: impl Into<String>) -> Failure {
    Failure { code: 2, message: message.into() }
}

type Outcome = Result<(), Failure>;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("siegel: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

fn read_file(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| fail(format!("cannot read {}: {e}", path.display())))
}

fn stdin() -> Result<Vec<u8>, Failure> {
    let mut buf = Vec::new();
    std::io::stdin().read_to_end(&mut buf).map_err(|e| fail(format!("cannot read standard input: {e}")))?;
    Ok(buf)
}

fn stdout(data: &[u8]) -> Outcome {
    let mut out = std::io::stdout().lock();
    out.write_all(data).and_then(|_| out.flush()).map_err(|e| fail(format!("cannot write standard output: {e}")))
}

impl Password {
    fn get(&self) -> Result<Option<String>, Failure> {
        if let Some(var) = &self.password_env {
            return std::env::var(var).map(Some).map_err(|_| fail(format!("environment variable {var} is not set")));
        }
        if let Some(file) = &self.password_file {
            let text = String::from_utf8(read_file(file)?).map_err(|_| fail("the password file is not UTF-8"))?;
            return Ok(Some(text.lines().next().unwrap_or("").to_string()));
        }
        Ok(None)
    }

    fn require(&self) -> Result<String, Failure> {
        Ok(self.get()?.unwrap_or_default())
    }
}

fn load_identities(paths: &[PathBuf], password: &str) -> Result<Identity, Failure> {
    let mut identity: Option<Identity> = None;
    for p in paths {
        let id = Identity::from_pkcs12(&read_file(p)?, password).map_err(|e| fail(format!("{}: {e}", p.display())))?;
        match &mut identity {
            Some(i) => i.merge(id),
            None => identity = Some(id),
        }
    }
    identity.ok_or_else(|| fail("no identity given"))
}

fn load_certs(paths: &[PathBuf]) -> Result<Vec<x509_cert::Certificate>, Failure> {
    let mut out = Vec::new();
    for p in paths {
        let certs =
            siegel::cert::parse_certificates(&read_file(p)?).map_err(|e| fail(format!("{}: {e}", p.display())))?;
        out.extend(certs);
    }
    Ok(out)
}

/// Imports every file into one trust store; the error names the file.
fn load_store(paths: &[PathBuf]) -> Result<(TrustStore, Vec<ImportSummary>), Failure> {
    let mut store = TrustStore::new();
    let mut summaries = Vec::new();
    for p in paths {
        summaries.push(store.import(&read_file(p)?).map_err(|e| fail(format!("{}: {e}", p.display())))?);
    }
    Ok((store, summaries))
}

impl VerifyArgs {
    fn options(&self) -> Result<VerifyOptions, Failure> {
        let time = match &self.time {
            Some(t) => Some(
                siegel::clock::parse_rfc3339(t).ok_or_else(|| fail(format!("--time {t:?} is not an RFC 3339 time")))?,
            ),
            None => None,
        };
        let (trust, _) = load_store(&self.trust)?;
        if !self.trust.is_empty() && trust.anchors().is_empty() {
            return Err(fail(
                "the --trust files hold no self-signed root certificate; add the root CA \
                 (intermediates alone are never trusted, pass them with --intermediates)",
            ));
        }
        let (extra, _) = load_store(&self.intermediates)?;
        let intermediates = trust.intermediates().into_iter().chain(extra.certificates()).cloned().collect();
        let mut crls = Vec::new();
        for p in &self.crl {
            crls.extend(Crl::parse_all(&read_file(p)?).map_err(|e| fail(format!("{}: {e}", p.display())))?);
        }
        let missing_revocation = match self.missing_crl.as_str() {
            "unknown" => MissingRevocation::Unknown,
            "fail" => MissingRevocation::Fail,
            other => return Err(fail(format!("--missing-crl {other:?}: expected unknown or fail"))),
        };
        let timeout = std::time::Duration::from_secs(self.crl_timeout.max(1));
        let fetch =
            self.fetch_crls.then(|| Fetcher(std::sync::Arc::new(move |s: &RevocationSource| fetch::fetch(s, timeout))));
        let ocsp_responses = self.ocsp_response.iter().map(|p| read_file(p)).collect::<Result<Vec<_>, _>>()?;
        Ok(VerifyOptions {
            trust: trust.anchors().into_iter().cloned().collect(),
            intermediates,
            time,
            from: None,
            allow_sha1: self.allow_sha1,
            check_revocation: !self.crl.is_empty() || self.fetch_crls || !ocsp_responses.is_empty(),
            ocsp_responses,
            crls,
            missing_revocation,
            accept_unpublished: self.accept_unpublished,
            fetch,
            ..VerifyOptions::default()
        })
    }
}

fn parse<T: std::str::FromStr<Err = siegel::Error>>(s: &str) -> Result<T, Failure> {
    s.parse().map_err(|e: siegel::Error| fail(e.to_string()))
}

fn run(command: Command) -> Outcome {
    match command {
        Command::Sign { identity, password, opaque, digest, pss, chain, signing_time } => {
            let signing_time = match signing_time {
                Some(t) => Some(
                    siegel::clock::parse_rfc3339(&t)
                        .ok_or_else(|| fail(format!("--signing-time {t:?} is not an RFC 3339 time")))?,
                ),
                None => None,
            };
            let id = load_identities(&[identity], &password.require()?)?;
            let options = SignOptions {
                digest: parse::<SigningDigest>(&digest)?,
                scheme: if pss { SignatureScheme::RsaPss } else { SignatureScheme::RsaPkcs1v15 },
                chain: match chain.as_str() {
                    "none" => ChainInclusion::None,
                    "with-root" => ChainInclusion::WithRoot,
                    _ => ChainInclusion::WithoutRoot,
                },
                signing_time,
                ..SignOptions::default()
            };
            let mode = if opaque { SignMode::Opaque } else { SignMode::Detached };
            stdout(&smime::sign_message(&stdin()?, &id, &options, mode)?)
        }
        Command::Encrypt { to, cipher, key_transport, ski, verify } => {
            let recipients = load_certs(&to)?;
            if !verify.trust.is_empty() {
                smime::check_recipients_against(&recipients, &verify.options()?)?;
            }
            let options = EncryptOptions {
                cipher: parse::<Cipher>(&cipher)?,
                key_transport: parse::<KeyTransport>(&key_transport)?,
                identifier: if ski { IdentifierKind::SubjectKeyId } else { IdentifierKind::IssuerAndSerial },
            };
            stdout(&smime::encrypt_message(&stdin()?, &recipients, &options)?)
        }
        Command::Decrypt { identity, password } => {
            let id = load_identities(&identity, &password.require()?)?;
            let (message, _) = smime::decrypt_message(&stdin()?, &id)?;
            stdout(&message)
        }
        Command::Verify { verify, content_out } => {
            let options = verify.options()?;
            let (content, report) = smime::verify_message(&stdin()?, &options)?;
            let json = pretty::to_string(&report).map_err(|e| fail(e.to_string()))?;
            stdout(format!("{json}\n").as_bytes())?;
            if let Some(path) = content_out {
                std::fs::write(&path, &content).map_err(|e| fail(format!("cannot write {}: {e}", path.display())))?;
            }
            for s in &report.signers {
                if let siegel::verify::Check::Failed { reason } = &s.from_address {
                    eprintln!("siegel: warning: {reason}");
                }
            }
            match report.verdict {
                Verdict::Trusted => Ok(()),
                _ => Err(Failure {
                    code: 1,
                    message: report.failure().unwrap_or_else(|| "the signature is not trusted".into()),
                }),
            }
        }
        Command::Open { identity, password, verify } => {
            let options = verify.options()?;
            let id = if identity.is_empty() { None } else { Some(load_identities(&identity, &password.require()?)?) };
            let opened = smime::open_message(&stdin()?, id.as_ref(), &options)?;
            let json = pretty::to_string(&opened).map_err(|e| fail(e.to_string()))?;
            eprintln!("{json}");
            stdout(&opened.message)?;
            if !opened.unopened_parts.is_empty() {
                eprintln!(
                    "siegel: warning: the mail contains {} signed or encrypted part(s) that are not the whole mail; \
                     they were neither verified nor decrypted",
                    opened.unopened_parts.len()
                );
            }
            // The layering rules: a signature that wraps another, or signs only ciphertext, vouches for nothing.
            if let Some(reason) = opened.attribution.reason() {
                return Err(Failure { code: 1, message: reason });
            }
            for layer in &opened.layers {
                if let Layer::Signed(r) = layer {
                    for s in &r.signers {
                        if let siegel::verify::Check::Failed { reason } = &s.from_address {
                            eprintln!("siegel: warning: {reason}");
                        }
                    }
                    if r.verdict != Verdict::Trusted {
                        return Err(Failure {
                            code: 1,
                            message: r.failure().unwrap_or_else(|| "a signature is not trusted".into()),
                        });
                    }
                }
            }
            Ok(())
        }
        Command::Inspect { file, password } => {
            let pw = password.get()?;
            let inspection = siegel::inspect::inspect(&read_file(&file)?, pw.as_deref())?;
            let json = pretty::to_string(&inspection).map_err(|e| fail(e.to_string()))?;
            stdout(format!("{json}\n").as_bytes())
        }
        Command::Trust { command: TrustCommand::Inspect { files } } => {
            let (store, summaries) = load_store(&files)?;
            for (file, s) in files.iter().zip(&summaries) {
                let format = serde_json::to_value(s.format).map_err(|e| fail(e.to_string()))?;
                let format = format.as_str().unwrap_or_default().to_string();
                eprintln!("siegel: {}: {format}, {} added, {} duplicates", file.display(), s.added, s.duplicates);
            }
            let json = pretty::to_string(&store.entries()).map_err(|e| fail(e.to_string()))?;
            stdout(format!("{json}\n").as_bytes())
        }
        Command::Bench { sizes, runs, cipher, recipients, keys, json } => {
            bench::run(&sizes, runs, &cipher, recipients, &keys, json).map_err(Failure::from)
        }
    }
}
