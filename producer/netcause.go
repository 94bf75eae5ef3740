package producer

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
)

// codeNetwork is the Code of a request that got no answer at all.
const codeNetwork = "network"

// networkError is a request that got no answer: maybe nothing was stored, maybe all was, so
// it is retried (duplicates keep their ids). Its Message says why in words where
// networkCause knows the reason, Go's error text otherwise; Err keeps the error.
func networkError(err error) *RequestError {
	msg := networkCause(err)
	if msg == "" {
		msg = err.Error()
	}
	return &RequestError{Action: Retry, Code: codeNetwork, Message: msg, Err: err}
}

// networkCause says in words why a request got no answer, naming the server: "connection
// refused by 127.0.0.1:8080", "no such host api.example.invalid", "TLS: the certificate of
// host:443 is not trusted (...)". It is "" for an error it does not recognise.
func networkCause(err error) string {
	if err == nil {
		return ""
	}
	host := serverOf(err)
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return dnsCause(dns)
	}
	if why := tlsCause(err, host); why != "" {
		return why
	}
	var op *net.OpError
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused by " + host
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by " + host
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return host + " is unreachable"
	case errors.As(err, &ne) && ne.Timeout():
		if errors.As(err, &op) && op.Op == "dial" {
			return "no connection to " + host + " in time"
		}
		return "no answer from " + host + " in time"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return host + " closed the connection without an answer"
	}
	return ""
}

// dnsCause says why a name did not resolve.
func dnsCause(dns *net.DNSError) string {
	switch {
	case dns.IsNotFound:
		return "no such host " + dns.Name
	case dns.IsTimeout:
		return "the DNS lookup of " + dns.Name + " timed out"
	}
	return "the DNS lookup of " + dns.Name + " failed: " + dns.Err
}

// tlsCause says why a TLS handshake failed, or "" if the error is not one.
func tlsCause(err error, host string) string {
	var cert *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var name x509.HostnameError
	var invalid x509.CertificateInvalidError
	var alert tls.AlertError
	var record tls.RecordHeaderError
	switch {
	case errors.As(err, &cert):
		return "TLS: the certificate of " + host + " is not trusted (" + strings.TrimPrefix(cert.Err.Error(), "x509: ") + ")"
	case errors.As(err, &unknown), errors.As(err, &name), errors.As(err, &invalid):
		return "TLS: the certificate of " + host + " is not trusted"
	case errors.Is(err, http.ErrSchemeMismatch):
		return "TLS: " + host + " answered in plain HTTP (use an http:// URL)"
	case errors.As(err, &record):
		return "TLS: " + host + " does not speak TLS"
	case errors.As(err, &alert):
		return "TLS: " + host + " refused the handshake (" + strings.TrimPrefix(alert.Error(), "tls: ") + ")"
	}
	return ""
}

// serverOf names the server a request went to: the address it dialled, else the URL's host.
func serverOf(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Addr != nil {
		return op.Addr.String()
	}
	var u *url.Error
	if errors.As(err, &u) {
		if parsed, perr := url.Parse(u.URL); perr == nil && parsed.Host != "" {
			return parsed.Host
		}
	}
	return "the server"
}
