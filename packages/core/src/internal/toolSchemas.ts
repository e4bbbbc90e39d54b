/**
 * The standalone argument schemas of the protocol package (`schemas/tools/<name>.schema.json`) as static
 * JSON imports, so bundlers see them. The record is typed by tool name: a tool added to the name lists
 * without its schema here fails the type check.
 *
 * @internal
 */
import type { SchemaToolName } from "../PlatformTools.js"
import add_subtitles from "@sogni-ai/sogni-protocol/schemas/tools/add_subtitles.schema.json" with { type: "json" }
import animate_photo from "@sogni-ai/sogni-protocol/schemas/tools/animate_photo.schema.json" with { type: "json" }
import apply_style from "@sogni-ai/sogni-protocol/schemas/tools/apply_style.schema.json" with { type: "json" }
import change_angle from "@sogni-ai/sogni-protocol/schemas/tools/change_angle.schema.json" with { type: "json" }
import compose_instrumental from "@sogni-ai/sogni-protocol/schemas/tools/compose_instrumental.schema.json" with { type: "json" }
import compose_lyrics from "@sogni-ai/sogni-protocol/schemas/tools/compose_lyrics.schema.json" with { type: "json" }
import compose_script from "@sogni-ai/sogni-protocol/schemas/tools/compose_script.schema.json" with { type: "json" }
import compose_workflow from "@sogni-ai/sogni-protocol/schemas/tools/compose_workflow.schema.json" with { type: "json" }
import compose_workflow_template from "@sogni-ai/sogni-protocol/schemas/tools/compose_workflow_template.schema.json" with { type: "json" }
import dance_montage from "@sogni-ai/sogni-protocol/schemas/tools/dance_montage.schema.json" with { type: "json" }
import edit_image from "@sogni-ai/sogni-protocol/schemas/tools/edit_image.schema.json" with { type: "json" }
import enhance_prompt from "@sogni-ai/sogni-protocol/schemas/tools/enhance_prompt.schema.json" with { type: "json" }
import extend_video from "@sogni-ai/sogni-protocol/schemas/tools/extend_video.schema.json" with { type: "json" }
import generate_image from "@sogni-ai/sogni-protocol/schemas/tools/generate_image.schema.json" with { type: "json" }
import generate_music from "@sogni-ai/sogni-protocol/schemas/tools/generate_music.schema.json" with { type: "json" }
import generate_speech from "@sogni-ai/sogni-protocol/schemas/tools/generate_speech.schema.json" with { type: "json" }
import generate_video from "@sogni-ai/sogni-protocol/schemas/tools/generate_video.schema.json" with { type: "json" }
import image_to_3d from "@sogni-ai/sogni-protocol/schemas/tools/image_to_3d.schema.json" with { type: "json" }
import manage_memory from "@sogni-ai/sogni-protocol/schemas/tools/manage_memory.schema.json" with { type: "json" }
import orbit_video from "@sogni-ai/sogni-protocol/schemas/tools/orbit_video.schema.json" with { type: "json" }
import overlay_video from "@sogni-ai/sogni-protocol/schemas/tools/overlay_video.schema.json" with { type: "json" }
import refine_result from "@sogni-ai/sogni-protocol/schemas/tools/refine_result.schema.json" with { type: "json" }
import remove_background from "@sogni-ai/sogni-protocol/schemas/tools/remove_background.schema.json" with { type: "json" }
import replace_video_segment from "@sogni-ai/sogni-protocol/schemas/tools/replace_video_segment.schema.json" with { type: "json" }
import resolve_personas from "@sogni-ai/sogni-protocol/schemas/tools/resolve_personas.schema.json" with { type: "json" }
import restore_photo from "@sogni-ai/sogni-protocol/schemas/tools/restore_photo.schema.json" with { type: "json" }
import segment_image from "@sogni-ai/sogni-protocol/schemas/tools/segment_image.schema.json" with { type: "json" }
import set_content_filter from "@sogni-ai/sogni-protocol/schemas/tools/set_content_filter.schema.json" with { type: "json" }
import sound_to_video from "@sogni-ai/sogni-protocol/schemas/tools/sound_to_video.schema.json" with { type: "json" }
import stitch_video from "@sogni-ai/sogni-protocol/schemas/tools/stitch_video.schema.json" with { type: "json" }
import upscale_image from "@sogni-ai/sogni-protocol/schemas/tools/upscale_image.schema.json" with { type: "json" }
import upscale_video from "@sogni-ai/sogni-protocol/schemas/tools/upscale_video.schema.json" with { type: "json" }
import video_to_video from "@sogni-ai/sogni-protocol/schemas/tools/video_to_video.schema.json" with { type: "json" }

/** @internal */
export const toolSchemaFiles: { readonly [K in SchemaToolName]: unknown } = {
  add_subtitles,
  animate_photo,
  apply_style,
  change_angle,
  compose_instrumental,
  compose_lyrics,
  compose_script,
  compose_workflow,
  compose_workflow_template,
  dance_montage,
  edit_image,
  enhance_prompt,
  extend_video,
  generate_image,
  generate_music,
  generate_speech,
  generate_video,
  image_to_3d,
  manage_memory,
  orbit_video,
  overlay_video,
  refine_result,
  remove_background,
  replace_video_segment,
  resolve_personas,
  restore_photo,
  segment_image,
  set_content_filter,
  sound_to_video,
  stitch_video,
  upscale_image,
  upscale_video,
  video_to_video
}
