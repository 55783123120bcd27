/** Version of GoDocker reported by `drmaa_get_DRM_system`, `/api/v1/info` and `--version`. */
export const VERSION = '0.1.0';
