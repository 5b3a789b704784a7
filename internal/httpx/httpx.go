// Package httpx is the HTTP client block akship's authentik input and
// Elasticsearch output share, so that an option means the same on both
// sides:
//   - TLSConfig, the tls block: tls.ca_file replaces the system's
//     certificate authorities (as Beats' ssl.certificate_authorities and
//     curl's --cacert do), tls.ca_fingerprint pins a certificate of the
//     chain, tls.cert_file/key_file present a client certificate,
//     tls.insecure turns verification off;
//   - NewTransport: pooled keep-alive connections, the proxy from
//     HTTPS_PROXY/HTTP_PROXY/NO_PROXY, dial, handshake and response-header
//     timeouts;
//   - ReadBody and Drain: bounded body reads;
//   - RetryAfter: the one parser of the Retry-After header, and RetryWait,
//     the retryablehttp Backoff hook built on internal/backoff.
//
// Which transport failures are configuration mistakes is internal/netfail's
// job; what a status code means is each caller's.
package httpx
