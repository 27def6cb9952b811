// What the Studio shows when it reaches the local Content Lake without a token: one
// "login provider" whose page explains where the link with the token comes from.
export function localLoginProviders(apiHost: string) {
  return [{ name: 'newsdesk', title: 'Open the link `newsdesk studio` printed', url: `${apiHost}/auth/local` }];
}
