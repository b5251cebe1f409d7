import { getFullname, tarballPath } from '../common/PackageUtil';

export class PackageVersion {
  constructor(
    readonly scope: string,
    readonly name: string,
    readonly version: string,
    readonly publishTime: Date,
  ) {}

  get fullname(): string {
    return getFullname(this.scope, this.name);
  }

  get tarball(): string {
    return tarballPath(this.fullname, this.version);
  }

  toManifest(registry: string) {
    return {
      name: this.fullname,
      version: this.version,
      dist: { tarball: `${registry}${this.tarball}` },
      publish_time: this.publishTime.getTime(),
    };
  }
}
