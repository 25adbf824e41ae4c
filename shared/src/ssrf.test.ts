import { describe, expect, it } from "vitest";
import { checkWebhookUrl, isForbiddenAddress } from "./ssrf";

describe("isForbiddenAddress", () => {
  it.each([
    ["127.0.0.1", "loopback address (127.0.0.0/8)"],
    ["127.255.0.9", "loopback address (127.0.0.0/8)"],
    ["10.20.30.40", "private address (10.0.0.0/8)"],
    ["172.16.0.1", "private address (172.16.0.0/12)"],
    ["172.31.255.255", "private address (172.16.0.0/12)"],
    ["192.168.1.1", "private address (192.168.0.0/16)"],
    ["169.254.1.1", "link-local address (169.254.0.0/16)"],
    ["169.254.169.254", "cloud metadata address (169.254.169.254/32)"],
    ["100.64.0.1", "carrier-grade NAT address (100.64.0.0/10)"],
    ["100.127.255.255", "carrier-grade NAT address (100.64.0.0/10)"],
    ["0.0.0.0", '"this network" address (0.0.0.0/8)'],
    ["0.1.2.3", '"this network" address (0.0.0.0/8)'],
    ["224.0.0.1", "multicast address (224.0.0.0/4)"],
    ["239.255.255.250", "multicast address (224.0.0.0/4)"],
    ["255.255.255.255", "broadcast address (255.255.255.255/32)"],
    ["240.0.0.1", "reserved address (240.0.0.0/4)"],
    ["::1", "loopback address (::1/128)"],
    ["[::1]", "loopback address (::1/128)"],
    ["::", "unspecified address (::/128)"],
    ["fe80::1", "link-local address (fe80::/10)"],
    ["fe80::1%eth0", "link-local address (fe80::/10)"],
    ["febf:ffff::1", "link-local address (fe80::/10)"],
    ["fc00::1", "unique-local address (fc00::/7)"],
    ["fdff:1234::5", "unique-local address (fc00::/7)"],
    ["fd00:ec2::254", "cloud metadata address (fd00:ec2::254/128)"],
    ["ff02::1", "multicast address (ff00::/8)"],
    ["::ffff:127.0.0.1", "IPv4-mapped loopback address (127.0.0.0/8)"],
    ["::ffff:7f00:1", "IPv4-mapped loopback address (127.0.0.0/8)"],
    ["::FFFF:A9FE:A9FE", "IPv4-mapped cloud metadata address (169.254.169.254/32)"],
    ["0:0:0:0:0:ffff:10.0.0.1", "IPv4-mapped private address (10.0.0.0/8)"],
    ["64:ff9b::10.0.0.1", "NAT64 private address (10.0.0.0/8)"],
    ["2002:7f00:1::", "6to4 loopback address (127.0.0.0/8)"],
    ["::7f00:1", "IPv4-compatible address (deprecated) (::/96)"],
  ])("%s is a %s", (ip, reason) => {
    expect(isForbiddenAddress(ip)).toBe(reason);
  });

  it.each([
    "93.184.215.14",
    "8.8.8.8",
    "172.15.255.255",
    "172.32.0.0",
    "100.63.255.255",
    "100.128.0.0",
    "169.253.255.255",
    "223.255.255.255",
    "2606:4700:4700::1111",
    "2001:db8::1",
    "::ffff:8.8.8.8",
    "64:ff9b::8.8.8.8",
    "2a00::1",
  ])("%s is allowed", (ip) => {
    expect(isForbiddenAddress(ip)).toBeUndefined();
  });

  it.each(["", "localhost", "example.com", "1.2.3", "256.0.0.1", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "::ffff:1.2.3"])(
    "fails closed on %j, which is not an IP address",
    (text) => {
      expect(isForbiddenAddress(text)).toBe("not an IP address");
    },
  );

  it("allowPrivateNetworks lifts every rule except cloud metadata", () => {
    const allow = { allowPrivateNetworks: true };
    for (const ip of ["127.0.0.1", "10.0.0.1", "192.168.0.1", "::1", "fd12::1", "fe80::1", "::ffff:127.0.0.1"]) {
      expect(isForbiddenAddress(ip, allow)).toBeUndefined();
    }
    expect(isForbiddenAddress("169.254.169.254", allow)).toMatch(/metadata/);
    expect(isForbiddenAddress("fd00:ec2::254", allow)).toMatch(/metadata/);
    expect(isForbiddenAddress("::ffff:169.254.169.254", allow)).toMatch(/metadata/);
    expect(isForbiddenAddress("not-an-ip", allow)).toBe("not an IP address");
  });
});

describe("checkWebhookUrl", () => {
  const strict = { allowPrivateNetworks: false };
  const dev = { allowPrivateNetworks: true };

  it.each(["https://hooks.example.com/in?x=1", "http://api.example.org:8080/webhook", "https://93.184.215.14/", "https://[2606:4700::1]/"])(
    "accepts %s",
    (url) => {
      expect(checkWebhookUrl(url, strict)).toBeUndefined();
    },
  );

  it.each([
    ["not a url", "not a valid URL"],
    ["ftp://example.com/file", 'only http and https URLs are allowed, got "ftp:"'],
    ["file:///etc/passwd", 'only http and https URLs are allowed, got "file:"'],
    ["https://user:pass@example.com/", "credentials in the URL are not allowed; send an Authorization header instead"],
    ["http://127.0.0.1:8080/", "destination 127.0.0.1 is not allowed: loopback address (127.0.0.0/8)"],
    ["http://2130706433/", "destination 127.0.0.1 is not allowed: loopback address (127.0.0.0/8)"],
    ["http://0x7f.1/", "destination 127.0.0.1 is not allowed: loopback address (127.0.0.0/8)"],
    ["http://0177.0.0.1/", "destination 127.0.0.1 is not allowed: loopback address (127.0.0.0/8)"],
    ["http://127.1/", "destination 127.0.0.1 is not allowed: loopback address (127.0.0.0/8)"],
    ["http://127.0.0.1./", "destination 127.0.0.1 is not allowed: loopback address (127.0.0.0/8)"],
    ["http://0/", 'destination 0.0.0.0 is not allowed: "this network" address (0.0.0.0/8)'],
    ["http://10.0.0.5/", "destination 10.0.0.5 is not allowed: private address (10.0.0.0/8)"],
    ["http://[::1]/", "destination [::1] is not allowed: loopback address (::1/128)"],
    ["http://[::ffff:127.0.0.1]/", "destination [::ffff:7f00:1] is not allowed: IPv4-mapped loopback address (127.0.0.0/8)"],
    ["http://169.254.169.254/latest/meta-data/", "destination 169.254.169.254 is not allowed: cloud metadata address (169.254.169.254/32)"],
    ["http://localhost:3000/", "destination localhost is not allowed: local-only host name (.localhost)"],
    ["http://LOCALHOST./", "destination localhost is not allowed: local-only host name (.localhost)"],
    ["http://%6c%6fcalhost/", "destination localhost is not allowed: local-only host name (.localhost)"],
    ["http://app.localhost/", "destination app.localhost is not allowed: local-only host name (.localhost)"],
    ["http://printer.local/", "destination printer.local is not allowed: local-only host name (.local)"],
    ["http://db.internal/", "destination db.internal is not allowed: local-only host name (.internal)"],
    ["http://redis:6379/", "destination redis is not allowed: single-label host names resolve on the local network"],
    ["http://metadata.google.internal/computeMetadata/v1/", "destination metadata.google.internal is not allowed: cloud metadata host name"],
  ])("refuses %s", (url, reason) => {
    expect(checkWebhookUrl(url, strict)).toBe(reason);
  });

  it("allowPrivateNetworks admits local destinations but never metadata", () => {
    for (const url of ["http://127.0.0.1:8080/", "http://localhost:3000/", "http://redis:6379/", "http://[::1]/", "http://2130706433/"]) {
      expect(checkWebhookUrl(url, dev)).toBeUndefined();
    }
    expect(checkWebhookUrl("http://169.254.169.254/", dev)).toMatch(/metadata/);
    expect(checkWebhookUrl("http://metadata.google.internal/", dev)).toMatch(/metadata/);
    expect(checkWebhookUrl("http://[fd00:ec2::254]/", dev)).toMatch(/metadata/);
    expect(checkWebhookUrl("ftp://localhost/", dev)).toMatch(/only http and https/);
  });
});
