/**
 * The 36 functions of the DRMAA 1.0 C binding, bound with koffi from any
 * `libdrmaa.so` (ours, Grid Engine's, Slurm's): the prototypes are those of the
 * standard's `drmaa.h`, which every implementation shares. Nothing here knows
 * what the calls mean; drmaa-library.ts gives them their types and errors.
 */
import koffi from 'koffi';

/** A C pointer as koffi 3 hands it over: a BigInt address. */
export type Pointer = bigint;
/** What an `_Out_ T **` parameter is filled through. */
export type PointerOut = [Pointer | null];
export type IntOut = [number];

/** A bound function: called directly it blocks the thread; `.async` runs it on a worker thread. */
export interface NativeFunction<A extends unknown[], R> {
  (...args: A): R;
  async(...args: [...A, (error: unknown, result: R) => void]): void;
}

type Diag = [diagnosis: Buffer, diagnosisLength: number];

export interface DrmaaAbi {
  drmaa_get_next_attr_name: NativeFunction<[Pointer, Buffer, number], number>;
  drmaa_get_next_attr_value: NativeFunction<[Pointer, Buffer, number], number>;
  drmaa_get_next_job_id: NativeFunction<[Pointer, Buffer, number], number>;
  drmaa_get_num_attr_names: NativeFunction<[Pointer, IntOut], number>;
  drmaa_get_num_attr_values: NativeFunction<[Pointer, IntOut], number>;
  drmaa_get_num_job_ids: NativeFunction<[Pointer, IntOut], number>;
  drmaa_release_attr_names: NativeFunction<[Pointer], void>;
  drmaa_release_attr_values: NativeFunction<[Pointer], void>;
  drmaa_release_job_ids: NativeFunction<[Pointer], void>;
  drmaa_init: NativeFunction<[string | null, ...Diag], number>;
  drmaa_exit: NativeFunction<Diag, number>;
  drmaa_allocate_job_template: NativeFunction<[PointerOut, ...Diag], number>;
  drmaa_delete_job_template: NativeFunction<[Pointer, ...Diag], number>;
  drmaa_set_attribute: NativeFunction<[Pointer, string, string, ...Diag], number>;
  drmaa_get_attribute: NativeFunction<[Pointer, string, Buffer, number, ...Diag], number>;
  drmaa_set_vector_attribute: NativeFunction<[Pointer, string, (string | null)[], ...Diag], number>;
  drmaa_get_vector_attribute: NativeFunction<[Pointer, string, PointerOut, ...Diag], number>;
  drmaa_get_attribute_names: NativeFunction<[PointerOut, ...Diag], number>;
  drmaa_get_vector_attribute_names: NativeFunction<[PointerOut, ...Diag], number>;
  drmaa_run_job: NativeFunction<[Buffer, number, Pointer, ...Diag], number>;
  drmaa_run_bulk_jobs: NativeFunction<[PointerOut, Pointer, number, number, number, ...Diag], number>;
  drmaa_control: NativeFunction<[string, number, ...Diag], number>;
  drmaa_synchronize: NativeFunction<[(string | null)[], number, number, ...Diag], number>;
  drmaa_wait: NativeFunction<[string, Buffer, number, IntOut, number, PointerOut, ...Diag], number>;
  drmaa_wifexited: NativeFunction<[IntOut, number, ...Diag], number>;
  drmaa_wexitstatus: NativeFunction<[IntOut, number, ...Diag], number>;
  drmaa_wifsignaled: NativeFunction<[IntOut, number, ...Diag], number>;
  drmaa_wtermsig: NativeFunction<[Buffer, number, number, ...Diag], number>;
  drmaa_wcoredump: NativeFunction<[IntOut, number, ...Diag], number>;
  drmaa_wifaborted: NativeFunction<[IntOut, number, ...Diag], number>;
  drmaa_job_ps: NativeFunction<[string, IntOut, ...Diag], number>;
  drmaa_strerror: NativeFunction<[number], string | null>;
  drmaa_get_contact: NativeFunction<[Buffer, number, ...Diag], number>;
  drmaa_version: NativeFunction<[IntOut, IntOut, ...Diag], number>;
  drmaa_get_DRM_system: NativeFunction<[Buffer, number, ...Diag], number>;
  drmaa_get_DRMAA_implementation: NativeFunction<[Buffer, number, ...Diag], number>;
}

const DIAG = 'char *error_diagnosis, size_t error_diag_len';

/**
 * The standard's prototypes, in koffi's C-like syntax (`_Out_` marks what is copied
 * back). wait's rusage is `_Inout_`: a library that fails without touching it must
 * leave NULL there, not whatever the slot held.
 */
const PROTOTYPES: Record<keyof DrmaaAbi, string> = {
  drmaa_get_next_attr_name: 'int drmaa_get_next_attr_name(drmaa_attr_names_t *values, char *value, size_t value_len)',
  drmaa_get_next_attr_value: 'int drmaa_get_next_attr_value(drmaa_attr_values_t *values, char *value, size_t value_len)',
  drmaa_get_next_job_id: 'int drmaa_get_next_job_id(drmaa_job_ids_t *values, char *value, size_t value_len)',
  drmaa_get_num_attr_names: 'int drmaa_get_num_attr_names(drmaa_attr_names_t *values, _Out_ int *size)',
  drmaa_get_num_attr_values: 'int drmaa_get_num_attr_values(drmaa_attr_values_t *values, _Out_ int *size)',
  drmaa_get_num_job_ids: 'int drmaa_get_num_job_ids(drmaa_job_ids_t *values, _Out_ int *size)',
  drmaa_release_attr_names: 'void drmaa_release_attr_names(drmaa_attr_names_t *values)',
  drmaa_release_attr_values: 'void drmaa_release_attr_values(drmaa_attr_values_t *values)',
  drmaa_release_job_ids: 'void drmaa_release_job_ids(drmaa_job_ids_t *values)',
  drmaa_init: `int drmaa_init(const char *contact, ${DIAG})`,
  drmaa_exit: `int drmaa_exit(${DIAG})`,
  drmaa_allocate_job_template: `int drmaa_allocate_job_template(_Out_ drmaa_job_template_t **jt, ${DIAG})`,
  drmaa_delete_job_template: `int drmaa_delete_job_template(drmaa_job_template_t *jt, ${DIAG})`,
  drmaa_set_attribute: `int drmaa_set_attribute(drmaa_job_template_t *jt, const char *name, const char *value, ${DIAG})`,
  drmaa_get_attribute: `int drmaa_get_attribute(drmaa_job_template_t *jt, const char *name, char *value, size_t value_len, ${DIAG})`,
  drmaa_set_vector_attribute: `int drmaa_set_vector_attribute(drmaa_job_template_t *jt, const char *name, const char **value, ${DIAG})`,
  drmaa_get_vector_attribute: `int drmaa_get_vector_attribute(drmaa_job_template_t *jt, const char *name, _Out_ drmaa_attr_values_t **values, ${DIAG})`,
  drmaa_get_attribute_names: `int drmaa_get_attribute_names(_Out_ drmaa_attr_names_t **values, ${DIAG})`,
  drmaa_get_vector_attribute_names: `int drmaa_get_vector_attribute_names(_Out_ drmaa_attr_names_t **values, ${DIAG})`,
  drmaa_run_job: `int drmaa_run_job(char *job_id, size_t job_id_len, const drmaa_job_template_t *jt, ${DIAG})`,
  drmaa_run_bulk_jobs: `int drmaa_run_bulk_jobs(_Out_ drmaa_job_ids_t **jobids, const drmaa_job_template_t *jt, unsigned int start, unsigned int end, int incr, ${DIAG})`,
  drmaa_control: `int drmaa_control(const char *jobid, int action, ${DIAG})`,
  drmaa_synchronize: `int drmaa_synchronize(const char **job_ids, long timeout, int dispose, ${DIAG})`,
  drmaa_wait: `int drmaa_wait(const char *job_id, char *job_id_out, size_t job_id_out_len, _Out_ int *stat, long timeout, _Inout_ drmaa_attr_values_t **rusage, ${DIAG})`,
  drmaa_wifexited: `int drmaa_wifexited(_Out_ int *exited, int stat, ${DIAG})`,
  drmaa_wexitstatus: `int drmaa_wexitstatus(_Out_ int *exit_status, int stat, ${DIAG})`,
  drmaa_wifsignaled: `int drmaa_wifsignaled(_Out_ int *signaled, int stat, ${DIAG})`,
  drmaa_wtermsig: `int drmaa_wtermsig(char *signal, size_t signal_len, int stat, ${DIAG})`,
  drmaa_wcoredump: `int drmaa_wcoredump(_Out_ int *core_dumped, int stat, ${DIAG})`,
  drmaa_wifaborted: `int drmaa_wifaborted(_Out_ int *aborted, int stat, ${DIAG})`,
  drmaa_job_ps: `int drmaa_job_ps(const char *job_id, _Out_ int *remote_ps, ${DIAG})`,
  drmaa_strerror: 'const char *drmaa_strerror(int drmaa_errno)',
  drmaa_get_contact: `int drmaa_get_contact(char *contact, size_t contact_len, ${DIAG})`,
  drmaa_version: `int drmaa_version(_Out_ unsigned int *major, _Out_ unsigned int *minor, ${DIAG})`,
  drmaa_get_DRM_system: `int drmaa_get_DRM_system(char *drm_system, size_t drm_system_len, ${DIAG})`,
  drmaa_get_DRMAA_implementation: `int drmaa_get_DRMAA_implementation(char *drmaa_impl, size_t drmaa_impl_len, ${DIAG})`,
};

let typesDeclared = false;

/** koffi's type names are process-wide: the opaque types are declared once, for every library loaded. */
function declareTypes(): void {
  if (typesDeclared) return;
  for (const name of ['drmaa_job_template_t', 'drmaa_attr_names_t', 'drmaa_attr_values_t', 'drmaa_job_ids_t']) {
    koffi.opaque(name);
  }
  typesDeclared = true;
}

export interface LoadedAbi {
  abi: DrmaaAbi;
  /** Functions the library does not export, by name; a call to one of them fails with a typed error. */
  missing: string[];
  unload(): void;
}

/** dlopen()s the library and binds every function it has (koffi throws if the file cannot be loaded). */
export function bindAbi(path: string): LoadedAbi {
  declareTypes();
  const lib = koffi.load(path);
  const abi: Partial<Record<keyof DrmaaAbi, unknown>> = {};
  const missing: string[] = [];
  for (const [name, prototype] of Object.entries(PROTOTYPES) as [keyof DrmaaAbi, string][]) {
    try {
      abi[name] = lib.func(prototype);
    } catch {
      // An old library may lack a few (drmaa_get_num_*, added late to the binding): the others still work.
      missing.push(name);
    }
  }
  return { abi: abi as DrmaaAbi, missing, unload: () => lib.unload() };
}
