export interface FullPackageName {
  scope: string;
  name: string;
}

export function getScopeAndName(fullname: string): FullPackageName {
  if (fullname.startsWith('@')) {
    const [scope, name] = fullname.split('/', 2);
    return { scope, name };
  }
  return { scope: '', name: fullname };
}

export function getFullname(scope: string, name: string): string {
  return scope ? `${scope}/${name}` : name;
}

export function tarballPath(fullname: string, version: string): string {
  const { name } = getScopeAndName(fullname);
  return `/${fullname}/-/${name}-${version}.tgz`;
}
