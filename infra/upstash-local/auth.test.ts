import { describe, expect, it } from "vitest";
import { tokenCheck } from "./auth";

const isAuthorized = tokenCheck("s3cret");
const url = (query = "") => new URL(`http://localhost/get/k${query}`);

describe("tokenCheck", () => {
  it("accepts the bearer token, in any case of the scheme", () => {
    expect(isAuthorized({ authorization: "Bearer s3cret" }, url())).toBe(true);
    expect(isAuthorized({ authorization: "bearer s3cret" }, url())).toBe(true);
  });

  it("accepts the _token query parameter", () => {
    expect(isAuthorized({}, url("?_token=s3cret"))).toBe(true);
  });

  it("refuses a missing, wrong, longer, shorter or non-bearer token", () => {
    expect(isAuthorized({}, url())).toBe(false);
    for (const header of ["Bearer wrong", "Bearer s3cret2", "Bearer s3cre", "Basic s3cret", "s3cret", "Bearer "]) {
      expect(isAuthorized({ authorization: header }, url())).toBe(false);
    }
    expect(isAuthorized({}, url("?_token=nope"))).toBe(false);
  });
});
