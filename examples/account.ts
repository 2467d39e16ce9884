// A front end's first calls to accountd, through the typed client that
// openapi-typescript makes of api/openapi.yaml and openapi-fetch runs:
// register, log in, update the profile with the seed's body, and search.
// `npm run check:examples` generates the types and type-checks this file;
// .ci/run does so on every change, so a change to the document that would
// break a client breaks the build first.
import createClient from "openapi-fetch";
import type { paths } from "./accountd-api";

export async function firstSteps(baseUrl: string, email: string, password: string): Promise<string[]> {
  // Lists go in a query as the document says, comma-separated
  // (tags=devops,web3), not as repeated parameters.
  const api = createClient<paths>({ baseUrl, querySerializer: { array: { style: "form", explode: false } } });

  const registered = await api.POST("/v1/auth/register", {
    body: { email, password, firstName: "Alice", lastName: "Bob" },
  });
  if (registered.error) throw new Error(registered.error.message);

  const login = await api.POST("/v1/auth/login", { body: { email, password } });
  if (login.error) throw new Error(`${login.error.data.code}: ${login.error.message}`);
  const session = login.data.data;
  if (!("token" in session)) throw new Error("a challenge to complete first, at POST /v1/auth/login/2fa");
  const headers = { Authorization: `Bearer ${session.token}` };

  const updated = await api.PATCH("/v1/account/update", {
    headers,
    body: {
      firstName: "Alice",
      lastName: "Bob",
      profile: {
        contact: { country: "England", state: "Manchester", city: "Manchester", address: "30, alice bob blvd.", phone: "+4412345678987" },
        bio: { title: "Software Engineer", description: "Builds software Products" },
        talent: {
          about: "About this user?. User is the best developer in the solar system",
          availability: "available",
          tags: ["product", "writing", "custom", "engineering", "devops", "web3", "crypto"],
        },
      },
      socials: {
        github: "https://github.com/tester",
        twitter: "https://twitter.com/tester",
        linkedin: "https://linkedin.com/tester",
        website: "https://mywebsite.com",
      },
    },
  });
  if (updated.error) throw new Error(updated.error.data.errors?.map((e) => `${e.field} ${e.message}`).join("; "));
  const completeness: number = updated.data.data.profileCompleteness;
  console.log(`profile ${completeness}% complete`);

  const found = await api.GET("/v1/account/user", {
    headers,
    params: { query: { search: "alice", tags: ["devops", "web3"], limit: 10, page: 1 } },
  });
  if (found.error) throw new Error(found.error.message);
  return found.data.data.data.map((hit) => `${hit.firstName} ${hit.lastName} (${hit.profileCompleteness}%)`);
}
