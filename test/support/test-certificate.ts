/**
 * A self-signed certificate for 127.0.0.1 and localhost (P-256, valid for 100 years), for tests
 * that need a TLS broker. Made with:
 * `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 36500 -subj "/CN=localhost" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost"`
 */
export const testCertificate = {
  cert: `-----BEGIN CERTIFICATE-----
MIIBnDCCAUGgAwIBAgIULLzegDBhbQcAUZMl5lwwBv4CM0QwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEzMDA4MDcyNVoYDzIxMjYxMTA2
MDgwNzI1WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAARv4Wge6KzzbF0Tx4pBWrGL/3zEVREc+H0n+PEAqx9uqKLQNQemZnsC
BOz3qJiT/3M1/PPN0ReZYMnZfa+gwKt5o28wbTAdBgNVHQ4EFgQUsUocf6VJTW9y
HfrKebWzoYwmaHEwHwYDVR0jBBgwFoAUsUocf6VJTW9yHfrKebWzoYwmaHEwDwYD
VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARhwR/AAABgglsb2NhbGhvc3QwCgYIKoZI
zj0EAwIDSQAwRgIhALLn2SUBRYjUbtqTwV5oopVPqcpB7EkGsI77oYGlQ/7PAiEA
2XUxdxvzqpgfyujv76vBaD0x2kpQ2VEXn0g4qxr9T+A=
-----END CERTIFICATE-----`,
  key: `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg87L6q4tDcrmuoCXV
vv0g5qRzqJHsbo2U27MBrDZaC/WhRANCAARv4Wge6KzzbF0Tx4pBWrGL/3zEVREc
+H0n+PEAqx9uqKLQNQemZnsCBOz3qJiT/3M1/PPN0ReZYMnZfa+gwKt5
-----END PRIVATE KEY-----`,
};
