// Who the local Content Lake says is editing: one editor (whoever runs it on this
// computer) and the newsdesk command line, which appears in history when `capture`,
// `import` or `links set-status` changed a document while the Studio was open.
export interface LakeUser {
  id: string;
  name: string;
  email: string;
  profileImage: string | null;
  provider: string;
  role: string;
  roles: Array<{ name: string; title: string; description?: string }>;
  isRobot?: boolean;
}

export const editorId = 'pLocalEditor';
export const commandLineId = 'pNewsdeskCli';

export function lakeUsers(editorName: string): Record<string, LakeUser> {
  const administrator = [{ name: 'administrator', title: 'Administrator', description: 'Reads and writes everything' }];
  return {
    [editorId]: { id: editorId, name: editorName, email: 'editor@localhost', profileImage: null, provider: 'newsdesk', role: 'administrator', roles: administrator },
    [commandLineId]: {
      id: commandLineId,
      name: 'newsdesk command line',
      email: 'cli@localhost',
      profileImage: null,
      provider: 'newsdesk',
      role: 'administrator',
      roles: administrator,
      isRobot: true,
    },
  };
}

/** The user id behind a store transaction's author. */
export function userIdOf(author: string): string {
  return author === editorId ? editorId : commandLineId;
}
