//! Time-stamping (RFC 3161): the trusted time that proves a seal existed before its
//! certificate expired or was revoked.
//!
//! Kho runs its own time-stamping authority: a key under the deployment root whose
//! certificate carries the critical timeStamping extended key usage (kind `tsa` in the
//! keyring). It answers `POST /api/v1/tsa` and stamps every filed document in-process;
//! with `--tsa-url` an external TSA is asked instead over HTTP. The seal gets a
//! signature timestamp (the `signature-time-stamp` unsigned attribute, over the
//! signature value) and the file a document timestamp revision (`/ETSI.RFC3161`, PAdES
//! B-LTA) after its validation data.

use std::time::SystemTime;

use cms::signed_data::EncapsulatedContentInfo;
use der::asn1::{GeneralizedTime, Int, ObjectIdentifier, OctetString};
use der::{Any, Decode, Encode, Sequence, Tag};
use spki::AlgorithmIdentifierOwned;
use x509_cert::attr::Attribute;
use x509_cert::ext::Extension;

use super::SigningError;
use super::keys::Signer;

/// id-ct-TSTInfo (RFC 3161 §2.4.2).
pub const ID_CT_TST_INFO: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
/// id-aa-signatureTimeStampToken (RFC 3161 appendix A).
pub const ID_AA_SIGNATURE_TIME_STAMP_TOKEN: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.14");
/// The policy Kho's TSA stamps under: the ETSI EN 319 421 best-practices time-stamp
/// policy (`0.4.0.2023.1.1`), which asks for a clock within a second of UTC (keep the
/// server on NTP) — the baseline policy public TSAs state.
pub const KHO_TSA_POLICY: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.2023.1.1");
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");

/// `MessageImprint ::= SEQUENCE { hashAlgorithm, hashedMessage }`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct MessageImprint {
    pub hash_algorithm: AlgorithmIdentifierOwned,
    pub hashed_message: OctetString,
}

impl MessageImprint {
    /// The SHA-256 imprint of `parts`, in order.
    pub fn sha256(parts: &[&[u8]]) -> Result<MessageImprint, SigningError> {
        let digest = crate::domain::digest_of::<sha2::Sha256>(parts);
        Ok(MessageImprint {
            hash_algorithm: AlgorithmIdentifierOwned {
                oid: ID_SHA256,
                parameters: None,
            },
            hashed_message: OctetString::new(digest).map_err(err)?,
        })
    }
}

/// `TimeStampReq` (RFC 3161 §2.4.1).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct TimeStampReq {
    pub version: u8,
    pub message_imprint: MessageImprint,
    #[asn1(optional = "true")]
    pub req_policy: Option<ObjectIdentifier>,
    #[asn1(optional = "true")]
    pub nonce: Option<Int>,
    #[asn1(default = "Default::default")]
    pub cert_req: bool,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    pub extensions: Option<Vec<Extension>>,
}

/// `Accuracy` (RFC 3161 §2.4.2).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct Accuracy {
    #[asn1(optional = "true")]
    pub seconds: Option<u32>,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    pub millis: Option<u16>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    pub micros: Option<u16>,
}

/// `TSTInfo` (RFC 3161 §2.4.2): what a timestamp token signs.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct TstInfo {
    pub version: u8,
    pub policy: ObjectIdentifier,
    pub message_imprint: MessageImprint,
    pub serial_number: Int,
    pub gen_time: GeneralizedTime,
    #[asn1(optional = "true")]
    pub accuracy: Option<Accuracy>,
    #[asn1(default = "Default::default")]
    pub ordering: bool,
    #[asn1(optional = "true")]
    pub nonce: Option<Int>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub tsa: Option<Any>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    pub extensions: Option<Vec<Extension>>,
}

/// `PKIStatusInfo` (RFC 3161 §2.4.2).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct PkiStatusInfo {
    pub status: u8,
    #[asn1(optional = "true")]
    pub status_string: Option<Vec<String>>,
    #[asn1(optional = "true")]
    pub fail_info: Option<der::asn1::BitString>,
}

/// `TimeStampResp` (RFC 3161 §2.4.2); the token is a CMS ContentInfo, kept as DER.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct TimeStampResp {
    pub status: PkiStatusInfo,
    #[asn1(optional = "true")]
    pub time_stamp_token: Option<Any>,
}

fn err(e: impl std::fmt::Display) -> SigningError {
    SigningError::Cms(format!("timestamp: {e}"))
}

/// A positive random 16-byte INTEGER (serial numbers and nonces).
fn random_int() -> Result<Int, SigningError> {
    let mut bytes: [u8; 16] = rand::random();
    bytes[0] &= 0x7f;
    bytes[0] |= 0x01;
    Int::new(&bytes).map_err(err)
}

/// A timestamp token (a CMS ContentInfo, DER) by `tsa` for `imprint` at `time`.
pub fn token(
    imprint: &MessageImprint,
    nonce: Option<Int>,
    time: SystemTime,
    tsa: &Signer,
) -> Result<Vec<u8>, SigningError> {
    let info = TstInfo {
        version: 1,
        policy: KHO_TSA_POLICY,
        message_imprint: imprint.clone(),
        serial_number: random_int()?,
        gen_time: GeneralizedTime::from_system_time(time).map_err(err)?,
        accuracy: Some(Accuracy {
            seconds: Some(1),
            millis: None,
            micros: None,
        }),
        ordering: false,
        nonce,
        tsa: None,
        extensions: None,
    };
    let content = EncapsulatedContentInfo {
        econtent_type: ID_CT_TST_INFO,
        econtent: Some(Any::new(Tag::OctetString, info.to_der().map_err(err)?).map_err(err)?),
    };
    super::cades::signed_data(&content, None, &tsa.key, &tsa.chain)
}

/// The TSA's answer (DER `TimeStampResp`) to a DER `TimeStampReq`: granted with a
/// token, or rejected (status 2) with the reason when the request cannot be read or
/// asks for what this TSA does not do.
pub fn respond(request: &[u8], tsa: &Signer, time: SystemTime) -> Vec<u8> {
    let rejection = |why: &str, bit: usize| {
        // PKIFailureInfo: badAlg (0), badRequest (2), badDataFormat (5), unacceptedPolicy (15).
        let mut bits = [0u8; 2];
        bits[bit / 8] |= 0x80 >> (bit % 8);
        TimeStampResp {
            status: PkiStatusInfo {
                status: 2,
                status_string: Some(vec![why.to_owned()]),
                fail_info: der::asn1::BitString::new(0, bits.to_vec()).ok(),
            },
            time_stamp_token: None,
        }
        .to_der()
        .unwrap_or_default()
    };
    let Ok(req) = TimeStampReq::from_der(request) else {
        return rejection("the request is not a DER TimeStampReq", 5);
    };
    if req.version != 1 {
        return rejection("only version 1 requests are answered", 2);
    }
    let want = req.message_imprint.hashed_message.as_bytes().len();
    let known = match req.message_imprint.hash_algorithm.oid.to_string().as_str() {
        "2.16.840.1.101.3.4.2.1" => 32,
        "2.16.840.1.101.3.4.2.2" => 48,
        "2.16.840.1.101.3.4.2.3" => 64,
        _ => 0,
    };
    if known == 0 {
        return rejection("the imprint's hash is not SHA-256, SHA-384 or SHA-512", 0);
    }
    if known != want {
        return rejection("the imprint's length does not fit its hash", 5);
    }
    if req.req_policy.is_some_and(|p| p != KHO_TSA_POLICY) {
        return rejection("this TSA stamps under its own policy only", 15);
    }
    if req.extensions.as_ref().is_some_and(|e| !e.is_empty()) {
        return rejection("request extensions are not supported", 2);
    }
    match token(&req.message_imprint, req.nonce, time, tsa).and_then(|t| {
        let token = Any::from_der(&t).map_err(err)?;
        TimeStampResp {
            status: PkiStatusInfo {
                status: 0,
                status_string: None,
                fail_info: None,
            },
            time_stamp_token: Some(token),
        }
        .to_der()
        .map_err(err)
    }) {
        Ok(resp) => resp,
        Err(e) => {
            tracing::error!(error = %e, "the TSA could not sign");
            TimeStampResp {
                status: PkiStatusInfo {
                    status: 2,
                    status_string: Some(vec!["the TSA could not sign".into()]),
                    fail_info: der::asn1::BitString::new(0, vec![0x00, 0x01]).ok(),
                },
                time_stamp_token: None,
            }
            .to_der()
            .unwrap_or_default()
        }
    }
}

/// A request (DER) for `imprint`, with a fresh nonce and the TSA's certificate asked for.
pub fn request(imprint: &MessageImprint) -> Result<(Vec<u8>, Int), SigningError> {
    let nonce = random_int()?;
    let req = TimeStampReq {
        version: 1,
        message_imprint: imprint.clone(),
        req_policy: None,
        nonce: Some(nonce.clone()),
        cert_req: true,
        extensions: None,
    };
    Ok((req.to_der().map_err(err)?, nonce))
}

/// The token of a TSA's `response` to a request for `imprint` with `nonce`; an error
/// when it was not granted or answers another question. (Whether its signature and
/// chain hold is the verifier's part, as for any signature.)
pub fn token_from_response(
    response: &[u8],
    imprint: &MessageImprint,
    nonce: &Int,
) -> Result<Vec<u8>, SigningError> {
    let resp = TimeStampResp::from_der(response)
        .map_err(|e| err(format!("the TSA's answer is not a TimeStampResp: {e}")))?;
    if resp.status.status > 1 {
        return Err(err(format!(
            "the TSA refused (status {}): {}",
            resp.status.status,
            resp.status.status_string.unwrap_or_default().join("; ")
        )));
    }
    let token = resp
        .time_stamp_token
        .ok_or_else(|| err("the TSA granted but sent no token"))?
        .to_der()
        .map_err(err)?;
    let info = tst_info(&token)?;
    if info.message_imprint != *imprint {
        return Err(err("the TSA stamped another imprint"));
    }
    if info.nonce.as_ref() != Some(nonce) {
        return Err(err("the TSA's answer carries another nonce"));
    }
    Ok(token)
}

/// The TSTInfo a token (ContentInfo DER) carries, unverified.
pub fn tst_info(token: &[u8]) -> Result<TstInfo, SigningError> {
    use cms::content_info::ContentInfo;
    use cms::signed_data::SignedData;
    let ci = ContentInfo::from_der(token).map_err(err)?;
    let sd: SignedData = ci.content.decode_as().map_err(err)?;
    if sd.encap_content_info.econtent_type != ID_CT_TST_INFO {
        return Err(err("the token does not hold a TSTInfo"));
    }
    let content = sd
        .encap_content_info
        .econtent
        .ok_or_else(|| err("the token holds no content"))?;
    TstInfo::from_der(content.value()).map_err(err)
}

/// Who stamps: the deployment's own TSA key, or an external TSA over HTTP.
pub enum TimeStamper {
    Local(Box<Signer>),
    Remote {
        url: String,
        client: reqwest::Client,
        runtime: tokio::runtime::Handle,
    },
}

impl TimeStamper {
    /// A token for `imprint`. From a blocking thread (the signing work runs on one), a
    /// remote TSA is asked on the runtime that made this stamper.
    pub fn stamp(&self, imprint: &MessageImprint) -> Result<Vec<u8>, SigningError> {
        match self {
            TimeStamper::Local(tsa) => token(imprint, None, SystemTime::now(), tsa),
            TimeStamper::Remote {
                url,
                client,
                runtime,
            } => {
                let (req, nonce) = request(imprint)?;
                let resp = runtime.block_on(async {
                    let resp = client
                        .post(url)
                        .header("content-type", "application/timestamp-query")
                        .body(req)
                        .timeout(std::time::Duration::from_secs(30))
                        .send()
                        .await
                        .map_err(|e| err(format!("the TSA at {url} did not answer: {e}")))?;
                    if !resp.status().is_success() {
                        return Err(err(format!("the TSA at {url} answered {}", resp.status())));
                    }
                    resp.bytes()
                        .await
                        .map_err(|e| err(format!("the TSA at {url}: {e}")))
                })?;
                token_from_response(&resp, imprint, &nonce)
            }
        }
    }

    /// The CMS `cms` with a signature timestamp on its SignerInfo: a token over the
    /// signature value (RFC 3161 appendix A), as an unsigned attribute.
    pub fn stamp_signature(&self, cms: &[u8]) -> Result<Vec<u8>, SigningError> {
        use cms::content_info::ContentInfo;
        use cms::signed_data::SignedData;
        let ci = ContentInfo::from_der(cms).map_err(err)?;
        let sd: SignedData = ci.content.decode_as().map_err(err)?;
        let si = sd
            .signer_infos
            .0
            .get(0)
            .ok_or_else(|| err("no SignerInfo"))?;
        let imprint = MessageImprint::sha256(&[si.signature.as_bytes()])?;
        let token = self.stamp(&imprint)?;
        let attribute = Attribute {
            oid: ID_AA_SIGNATURE_TIME_STAMP_TOKEN,
            values: der::asn1::SetOfVec::try_from(vec![Any::from_der(&token).map_err(err)?])
                .map_err(err)?,
        };
        super::cades::add_unsigned_attribute(cms, attribute)
    }
}

/// When the certificate that signed `token` (a ContentInfo, DER, zero padding after
/// it allowed, as in a `/Contents`) ends, Unix seconds.
pub fn signer_not_after(token: &[u8]) -> Result<i64, SigningError> {
    use cms::cert::CertificateChoices;
    use cms::content_info::ContentInfo;
    use cms::signed_data::{SignedData, SignerIdentifier};
    let mut reader = der::SliceReader::new(token).map_err(err)?;
    let ci = ContentInfo::decode(&mut reader).map_err(err)?;
    let sd: SignedData = ci.content.decode_as().map_err(err)?;
    let si = sd
        .signer_infos
        .0
        .get(0)
        .ok_or_else(|| err("no SignerInfo"))?;
    let SignerIdentifier::IssuerAndSerialNumber(ias) = &si.sid else {
        return Err(err("the TSA is named by key identifier"));
    };
    sd.certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .find_map(|c| match c {
            CertificateChoices::Certificate(c)
                if c.tbs_certificate().serial_number() == &ias.serial_number
                    && c.tbs_certificate().issuer() == &ias.issuer =>
            {
                Some(
                    c.tbs_certificate()
                        .validity()
                        .not_after
                        .to_unix_duration()
                        .as_secs() as i64,
                )
            }
            _ => None,
        })
        .ok_or_else(|| err("the token does not carry its TSA's certificate"))
}
