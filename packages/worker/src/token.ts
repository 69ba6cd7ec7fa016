import { createPrivateKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { SignOption } from '@buildcluster/protocol';

export interface ClusterTokenOptions {
  /** PEM text of the cluster's private key (PKCS#8 or the older RSA/EC forms). */
  privateKey: string;
  signOption: SignOption;
  /**
   * Share of a token's life after which a new one is minted (default 0.75): early enough that a
   * request never carries a token about to expire, late enough not to sign on every call.
   */
  renewAt?: number;
  /** Epoch ms "now" as the broker sees it; the client corrects for a skewed local clock. */
  now?: () => number;
}

export interface ClusterToken {
  token: string;
  /** epoch seconds */
  issuedAt: number;
  expiresAt: number;
}

/**
 * Mints the cluster's JWT (README "API", Authentication): exactly the claims of the signOption (`iss`, `sub`, `aud`),
 * `iat`, and `exp = iat + expiresIn`, signed with the registered algorithm. Mints lazily and
 * renews once `renewAt` of the token's life has passed.
 */
export class ClusterTokenSource {
  readonly signOption: SignOption;
  private readonly key: KeyObject;
  private readonly renewAt: number;
  private readonly now: () => number;
  private current: ClusterToken | null = null;
  private minted = 0;

  constructor(options: ClusterTokenOptions) {
    this.signOption = options.signOption;
    this.renewAt = options.renewAt ?? 0.75;
    this.now = options.now ?? Date.now;
    if (!(this.renewAt > 0 && this.renewAt < 1)) throw new RangeError('renewAt must be between 0 and 1');
    try {
      this.key = createPrivateKey(options.privateKey);
    } catch (err) {
      throw new TypeError(`the private key is not a readable PEM private key (${(err as Error).message})`);
    }
    if (this.key.type !== 'private') throw new TypeError('the key is not a private key');
    // Sign once now: a key that does not fit the algorithm (an RSA key with ES256, say) fails here, at startup.
    this.mint();
  }

  /** How many tokens this source has signed (for logs and tests). */
  get mintedCount(): number {
    return this.minted;
  }

  /** A token valid for at least the remaining quarter of its life. */
  get(): string {
    const nowSeconds = this.now() / 1000;
    const token = this.current;
    if (token && nowSeconds < token.issuedAt + (token.expiresAt - token.issuedAt) * this.renewAt) return token.token;
    return this.mint().token;
  }

  /** The current token, if any, without minting; for diagnostics. */
  peek(): ClusterToken | null {
    return this.current;
  }

  /** Forget the current token, e.g. after the broker answered 401 to it. */
  invalidate(): void {
    this.current = null;
  }

  private mint(): ClusterToken {
    const { issuer, subject, audience, expiresIn, algorithm } = this.signOption;
    const issuedAt = Math.floor(this.now() / 1000);
    const expiresAt = issuedAt + expiresIn;
    let token: string;
    try {
      token = jwt.sign({ iss: issuer, sub: subject, aud: audience, iat: issuedAt, exp: expiresAt }, this.key, {
        algorithm,
      });
    } catch (err) {
      throw new TypeError(`cannot sign a ${algorithm} token with this private key: ${(err as Error).message}`);
    }
    this.current = { token, issuedAt, expiresAt };
    this.minted += 1;
    return this.current;
  }
}
