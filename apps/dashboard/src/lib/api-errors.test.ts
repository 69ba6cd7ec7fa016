import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import { FORM_FIELDS } from './cluster-form';
import { fieldErrorFrom } from './api-errors';

const bad = (message: string, code = 'VALIDATION_FAILED') => new ApiError(400, code, message);

describe('fieldErrorFrom', () => {
  it('maps a Fastify path to the nested field it names', () => {
    expect(fieldErrorFrom(bad('body/signOption/algorithm must be equal to constant'), FORM_FIELDS)).toEqual({
      field: 'signOption.algorithm',
      message: 'must be equal to constant',
    });
    expect(fieldErrorFrom(bad('body/weightage must be <= 100'), FORM_FIELDS)).toEqual({
      field: 'weightage',
      message: 'must be <= 100',
    });
  });

  it('maps a missing property to that property', () => {
    expect(fieldErrorFrom(bad("body must have required property 'scmContext'"), FORM_FIELDS)).toEqual({
      field: 'scmContext',
      message: 'is required',
    });
    expect(fieldErrorFrom(bad("body/provider must have required property 'region'"), FORM_FIELDS).field).toBe('provider.region');
  });

  it('falls back to the closest known parent, then to the whole form', () => {
    expect(fieldErrorFrom(bad('body/provider/extra/deep must be string'), FORM_FIELDS).field).toBe('provider');
    expect(fieldErrorFrom(bad('body must NOT have additional properties'), FORM_FIELDS)).toEqual({
      field: null,
      message: 'body must NOT have additional properties',
    });
  });

  it('uses the error code or a field named in a domain message', () => {
    expect(fieldErrorFrom(bad('not a PEM public key', 'INVALID_PUBLIC_KEY'), FORM_FIELDS).field).toBe('publicKey');
    expect(fieldErrorFrom(new ApiError(409, 'CLUSTER_EXISTS', 'cluster edge-1 exists'), FORM_FIELDS).field).toBe('name');
    expect(fieldErrorFrom(bad('signOption.expiresIn is longer than allowed', 'BAD_REQUEST'), FORM_FIELDS).field).toBe(
      'signOption.expiresIn',
    );
  });
});
