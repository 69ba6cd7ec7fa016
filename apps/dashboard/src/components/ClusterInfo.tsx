import type { BuildCluster } from '@buildcluster/protocol';
import { formatDateTime, formatRelative } from '../lib/format';
import { useNow } from '../lib/use-now';

/** Registration facts: scheduling fields, the key fingerprint and the claims worker tokens must carry. */
export function ClusterInfo({ cluster }: { cluster: BuildCluster }) {
  const now = useNow(10_000);
  const previous = cluster.previousKey;
  const graceLeft = previous ? Date.parse(previous.validUntil) - now : 0;
  return (
    <div className="info-grid">
      <section aria-labelledby="info-scheduling">
        <h3 id="info-scheduling">Scheduling</h3>
        <dl className="facts">
          <dt>Managed by</dt>
          <dd>{cluster.managedBy}</dd>
          <dt>SCM organization</dt>
          <dd>{cluster.scmOrganization}</dd>
          <dt>SCM context</dt>
          <dd>
            <code>{cluster.scmContext}</code>
          </dd>
          <dt>Weightage</dt>
          <dd>
            {cluster.weightage}
            {cluster.weightage === 0 ? ' (opt-in only)' : ''}
          </dd>
          <dt>Queue</dt>
          <dd>
            <code>{cluster.queue}</code>
          </dd>
          <dt>Provider</dt>
          <dd>
            {cluster.provider ? `${cluster.provider.name} · ${cluster.provider.region} · ${cluster.provider.accountId}` : 'none'}
          </dd>
          <dt>Maintainer</dt>
          <dd>{cluster.maintainer ? <a href={`mailto:${cluster.maintainer}`}>{cluster.maintainer}</a> : '—'}</dd>
          <dt>Registered</dt>
          <dd>{formatDateTime(cluster.createdAt)}</dd>
          <dt>Updated</dt>
          <dd>{formatDateTime(cluster.updatedAt)}</dd>
        </dl>
      </section>
      <section aria-labelledby="info-auth">
        <h3 id="info-auth">Worker authentication</h3>
        <dl className="facts">
          <dt>Key fingerprint</dt>
          <dd>
            <code className="fingerprint">{cluster.publicKeyFingerprint}</code>
          </dd>
          {previous ? (
            <>
              <dt>Previous key</dt>
              <dd>
                <code className="fingerprint">{previous.fingerprint}</code>
                <div className={graceLeft > 0 ? 'text-warn' : 'muted'}>
                  {graceLeft > 0
                    ? `still accepted until ${formatDateTime(previous.validUntil)} (${formatRelative(previous.validUntil, now)})`
                    : `grace period ended ${formatRelative(previous.validUntil, now)}`}
                </div>
              </dd>
            </>
          ) : null}
          <dt>Issuer (iss)</dt>
          <dd>
            <code>{cluster.signOption.issuer}</code>
          </dd>
          <dt>Subject (sub)</dt>
          <dd>
            <code>{cluster.signOption.subject}</code>
          </dd>
          <dt>Audience (aud)</dt>
          <dd>
            <code>{cluster.signOption.audience}</code>
          </dd>
          <dt>Algorithm</dt>
          <dd>{cluster.signOption.algorithm}</dd>
          <dt>Token lifetime</dt>
          <dd>at most {cluster.signOption.expiresIn} s</dd>
          <dt>Key file</dt>
          <dd>
            <code className="small">{cluster.authKeyFileName}</code>
          </dd>
          <dt>signOption file</dt>
          <dd>
            <code className="small">{cluster.signOptionFileName}</code>
          </dd>
        </dl>
      </section>
    </div>
  );
}
