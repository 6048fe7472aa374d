/**
 * Validates method params against their JSON schemas (schemas.ts) with ajv, compiled once per
 * server. A failure becomes -32602 whose message names the bad field, e.g.
 * `params.height must be integer` or `params.id: expected a 32-byte hash as 0x + 64 hex characters`.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import { componentSchemas, methodSpecs, paramsSchema, type MethodSpec } from './schemas.ts'
import { invalidParams } from './errors.ts'

export interface ParamValidator {
  /** @throws RpcMethodError INVALID_PARAMS naming the field. */
  validate(method: string, params: Record<string, unknown>): void
}

export function createParamValidator(specs: readonly MethodSpec[] = methodSpecs): ParamValidator {
  const ajv = new Ajv({ allErrors: false, verbose: true, strict: true })
  // Shared definitions sit under `components.schemas`, as in the OpenRPC document, so the same
  // `#/components/schemas/…` refs resolve in both.
  ajv.addKeyword('components')
  const validators = new Map<string, ValidateFunction>()
  for (const spec of specs) {
    validators.set(spec.name, ajv.compile({ ...paramsSchema(spec), components: { schemas: componentSchemas } }))
  }
  return {
    validate(method, params) {
      const validate = validators.get(method)
      if (!validate) throw new Error(`no schema for method ${method}`)
      let ok: boolean
      try {
        ok = validate(params) as boolean
      } catch (e) {
        // ajv recurses through nested arrays; absurd nesting ends in a RangeError here.
        if (e instanceof RangeError) throw invalidParams('params are nested too deeply')
        throw e
      }
      if (!ok) throw describeFailure(validate.errors ?? [])
    },
  }
}

function describeFailure(errors: readonly ErrorObject[]): Error {
  // With anyOf (JsonValue), ajv reports every branch and then the anyOf itself; the deepest
  // anyOf is the value that matched no branch, and its schema's description says what is allowed.
  const anyOf = errors.filter((e) => e.keyword === 'anyOf').sort((a, b) => b.instancePath.length - a.instancePath.length)[0]
  const error = anyOf ?? errors[0]
  if (!error) return invalidParams('params are invalid')
  const field = fieldName(error.instancePath)
  if (error.keyword === 'required') {
    const missing = `${field}.${String((error.params as { missingProperty: string }).missingProperty)}`
    return invalidParams(`${missing} is required`, missing)
  }
  if (error.keyword === 'additionalProperties') {
    const extra = `${field}.${String((error.params as { additionalProperty: string }).additionalProperty)}`
    return invalidParams(`${extra} is not a parameter of this method`, extra)
  }
  const description = (error.parentSchema as { description?: unknown } | undefined)?.description
  if ((error.keyword === 'pattern' || error.keyword === 'anyOf') && typeof description === 'string') {
    return invalidParams(`${field}: expected ${description}`, field)
  }
  return invalidParams(`${field} ${error.message ?? 'is invalid'}`, field)
}

/** ajv's JSON pointer (/args/0/1) → params.args[0][1] */
function fieldName(instancePath: string): string {
  let out = 'params'
  for (const part of instancePath.split('/').slice(1)) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~')
    out += /^[0-9]+$/.test(key) ? `[${key}]` : `.${key}`
  }
  return out
}
